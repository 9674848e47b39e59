"""Device calls of a booking against the simulator (a real subprocess) with its faults: answers lost (the
retry gets the first result: never a second recording), duplicate delivery, and a studio that stays
unreachable: the device step ends in an incident on the booking and the desk; staff retry once it is back,
and the same idempotency keys keep what had happened from happening twice."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from app.bookings import domain, queries, services
from app.engine.outbox import sweep
from app.platform.extensions import db
from tests.bookings.conftest import make_resource, next_slot, people
from tests.bookings.helpers import booking, fire, incidents, jobs, open_tasks


@pytest.fixture
def quick_devices(app):
    """One short attempt per device call, so a job attempt fails fast and the job layer's retries show."""
    saved = {k: app.config[k] for k in ("DEVICE_MAX_ATTEMPTS", "DEVICE_ATTEMPT_TIMEOUT_S", "DEVICE_CALL_TIMEOUT_S")}
    app.config.update(DEVICE_MAX_ATTEMPTS=1, DEVICE_ATTEMPT_TIMEOUT_S=0.5, DEVICE_CALL_TIMEOUT_S=1.0)
    yield
    app.config.update(saved)


def _studio_booking(simulator, clock, hour: int):
    studio = simulator.add("studio")
    resource = make_resource(devices=[{"id": studio.id, "kind": "studio"}])
    (student,) = people(1)
    slot = next_slot(days=1, hour=hour)
    return studio, student, slot, services.book(student, resource.id, slot, "空中面试")


def _until(predicate, what: str, seconds: float = 120) -> None:
    """Run due job retries (as the scheduler's sweep would) until `predicate()` holds."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"never: {what}"
        sweep()
        db.session.rollback()
        time.sleep(0.05)


def test_lost_answers_are_retried_with_the_same_key_never_a_second_recording(bctx, clock, simulator):
    studio, student, slot, booking_id = _studio_booking(simulator, clock, 9)
    simulator.fault(studio, "timeout", count=2, delay_s=2.0)  # acts, then does not answer, twice
    fire(clock, slot.start + timedelta(seconds=1))
    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is True and seen["recording"] is not None
    assert open_tasks(booking_id) == ["check_in"]
    assert any(entry["replayed"] for entry in booking(booking_id).device_log)
    services.check_in(booking_id, student)
    services.finish(booking_id, student)
    assert len(simulator.inspect(studio)["recordings"]) == 1 and booking(booking_id).recording is not None


def test_duplicate_delivery_starts_one_recording(bctx, clock, simulator):
    studio, student, slot, booking_id = _studio_booking(simulator, clock, 11)
    simulator.fault(studio, "duplicate")
    fire(clock, slot.start + timedelta(seconds=1))
    services.check_in(booking_id, student)
    fire(clock, slot.end + timedelta(seconds=1))  # the time runs out: the end comes by itself
    b = booking(booking_id)
    assert b.status == domain.COMPLETED and b.recording is not None
    assert len(simulator.inspect(studio)["recordings"]) == 1


def test_an_unreachable_studio_becomes_an_incident_that_staff_retry(bctx, clock, simulator, quick_devices):
    studio, student, slot, booking_id = _studio_booking(simulator, clock, 13)
    simulator.fault(studio, "drop")  # until healed
    fire(clock, slot.start + timedelta(seconds=1))
    _until(lambda: incidents(booking_id), "an incident")
    (job,) = [j for j in jobs(booking_id) if j.operation == "booking.devices_on"]
    assert job.status == "incident" and job.attempts == job.max_attempts == 5
    assert [row.booking_id for row in queries.device_incidents()].count(booking_id) == 1
    assert open_tasks(booking_id) == []
    simulator.heal(studio)
    (staff,) = people(1, "staff")
    services.retry_devices(booking_id, incidents(booking_id)[0].id, staff)
    _until(lambda: open_tasks(booking_id) == ["check_in"], "the devices on after the retry")
    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is True and seen["recording"] is not None and not incidents(booking_id)
    services.check_in(booking_id, student)
    services.finish(booking_id, student)
    assert len(simulator.inspect(studio)["recordings"]) == 1
