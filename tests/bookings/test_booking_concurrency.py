"""Double booking is impossible by construction: 20 people asking for one slot at the same moment (threads,
each with its own connection, released together) give exactly one booking; the others are told the slot is
taken, and nothing of theirs is left behind. The same for overlapping (not identical) times, and for a
direct write that bypasses the services: the database itself refuses it."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.bookings import domain, services
from app.bookings.models import Booking
from app.engine.models import ProcessInstance
from app.platform.extensions import db
from tests.bookings.conftest import make_resource, next_slot, people
from tests.conftest import BACKENDS, drop_app, make_app

N = 20


@pytest.fixture(scope="module", params=BACKENDS)
def race_app(request, tmp_path_factory, redis_url):
    """An app whose connection pool holds every racer at once (as N web processes would have N connections)."""
    tmp = tmp_path_factory.mktemp(f"race-{request.param}")
    options = {"pool_size": N + 5, "max_overflow": 5}
    if request.param == "sqlite":
        options["connect_args"] = {"timeout": 120}
    app, schema = make_app(request.param, tmp, redis_url, SQLALCHEMY_ENGINE_OPTIONS=options)
    from app.engine import deploy_directory

    with app.app_context():
        deploy_directory()
    yield app
    drop_app(app, schema)


@pytest.fixture
def rctx(race_app):
    with race_app.app_context():
        yield race_app
        db.session.remove()


def _race(app, users: list[int], resource_id: int, slots: list[domain.Slot]) -> tuple[list[int], list[str]]:
    db.session.rollback()  # the test's own session holds no transaction (on SQLite: no write lock) meanwhile
    barrier = threading.Barrier(len(users))
    booked, refused, lock = [], [], threading.Lock()

    def attempt(user_id: int, slot: domain.Slot) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                booking_id = services.book(user_id, resource_id, slot, "抢约热门时段")
                with lock:
                    booked.append(booking_id)
            except services.BookingError as err:
                with lock:
                    refused.append(err.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(u, s)) for u, s in zip(users, slots)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    return booked, refused


def test_twenty_requests_for_one_slot_give_one_booking(rctx, clock):
    resource = make_resource(kind=domain.INTERVIEW_ROOM)
    users = people(N)
    slot = next_slot(days=2, hour=10)
    booked, refused = _race(rctx, users, resource.id, [slot] * N)
    assert len(booked) == 1 and refused == ["taken"] * (N - 1)
    db.session.rollback()
    rows = db.session.execute(select(Booking.status).where(Booking.resource_id == resource.id)).scalars().all()
    assert rows == [domain.CONFIRMED]
    instances = db.session.execute(select(func.count()).select_from(ProcessInstance)
                                   .where(ProcessInstance.business_key == domain.booking_key(booked[0]))).scalar()
    assert instances == 1


def test_overlapping_times_are_refused_as_well(rctx, clock):
    resource = make_resource(kind=domain.INTERVIEW_ROOM, slot_minutes=30, max_minutes=120)
    users = people(N)
    base = next_slot(days=3, hour=9, minutes=30).start
    # every request overlaps every other: starts 09:00..10:30, each 2 hours long
    slots = [domain.Slot(base + timedelta(minutes=30 * (i % 4)), base + timedelta(minutes=30 * (i % 4) + 120))
             for i in range(N)]
    booked, refused = _race(rctx, users, resource.id, slots)
    assert len(booked) == 1 and set(refused) == {"taken"}


def test_the_database_refuses_an_overlap_written_around_the_services(rctx, clock):
    resource = make_resource(kind=domain.INTERVIEW_ROOM)
    a, b = people(2)
    slot = next_slot(days=4, hour=14)
    first = services.book(a, resource.id, slot, "正常预约")
    other = services.book(b, resource.id, next_slot(days=4, hour=16), "另一时段")
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(Booking).where(Booking.id == other).values(start_at=slot.start + timedelta(minutes=30)))
        db.session.flush()
    db.session.rollback()
    # a cancelled booking no longer holds its time
    services.cancel(first, a, "")
    services.book(b, resource.id, slot, "空出来了")
