"""The booking process end to end on both databases, with controlled time and the device simulator: a studio
booked, confirmed, reminded, powered on and recording at the start, checked in, finished, the recording
fetched and registered; approval and rejection through the inbox task; cancel before the start with the
waitlist taking over; a no-show released by the grace timer, its credit lowered, a suspension and its lift."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app import engine
from app.bookings import credit, domain, services
from app.bookings.models import BookingCredit, CreditEvent
from app.notifications.models import Notification
from app.platform.extensions import db
from tests.bookings.conftest import make_resource, next_slot, people
from tests.bookings.helpers import booking, fire, open_tasks, state, task_guid


def _kinds(user_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(Notification.kind).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)).scalars())


def test_a_studio_from_booking_to_registered_recording(bctx, clock, simulator):
    studio = simulator.add("studio")
    resource = make_resource(devices=[{"id": studio.id, "kind": "studio"}])
    (student,) = people(1)
    slot = next_slot()
    booking_id = services.book(student, resource.id, slot, "空中面试：华辰科技")
    b = booking(booking_id)
    assert b.status == domain.CONFIRMED and b.number.startswith("YY")
    assert open_tasks(booking_id) == [] and "booking.confirmed" in _kinds(student)
    # the reminder an hour before; nothing is switched on yet
    fire(clock, slot.start - timedelta(minutes=59))
    assert "booking.reminder" in _kinds(student)
    assert simulator.inspect(studio)["state"]["powered"] is False
    # at the start the worker powers the studio on, configures it and starts recording
    fire(clock, slot.start + timedelta(seconds=1))
    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is True and seen["recording"] is not None
    assert open_tasks(booking_id) == ["check_in"]
    services.check_in(booking_id, student)
    assert booking(booking_id).status == domain.IN_USE and open_tasks(booking_id) == ["finish_use"]
    clock.travel_to(slot.start + timedelta(minutes=40))
    services.finish(booking_id, student)
    b = booking(booking_id)
    assert b.status == domain.COMPLETED and state(booking_id).status == "completed"
    assert b.recording["sha256"] and Path(b.recording["path"]).stat().st_size == b.recording["size"]
    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is False and seen["recording"] is None and len(seen["recordings"]) == 1
    assert domain.used_minutes(b.checked_in_at, b.ended_at) == 40

