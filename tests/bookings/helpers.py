"""Reading a booking's state and driving its process in the booking tests."""
from __future__ import annotations

from sqlalchemy import select

from app import engine
from app.bookings.models import Booking
from app.engine import timers
from app.engine.models import Incident, Job, OpenTask
from app.engine.outbox import sweep
from app.platform.extensions import db


def booking(booking_id: int) -> Booking:
    db.session.rollback()
    return db.session.get(Booking, booking_id)


def open_tasks(booking_id: int) -> list[str]:
    db.session.rollback()
    instance_id = db.session.get(Booking, booking_id).instance_id
    return sorted(db.session.execute(select(OpenTask.spec_id).where(OpenTask.instance_id == instance_id)).scalars())


def task_guid(booking_id: int, spec_id: str) -> str:
    db.session.rollback()
    instance_id = db.session.get(Booking, booking_id).instance_id
    return db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                               OpenTask.spec_id == spec_id)).scalar_one()


def fire(clock, moment) -> None:
    """Travel to `moment` and fire the timers due then (as the scheduler would)."""
    clock.travel_to(moment)
    timers.fire_due()
    db.session.rollback()


def state(booking_id: int):
    return engine.get_state(booking(booking_id).instance_id)


def jobs(booking_id: int) -> list[Job]:
    db.session.rollback()
    instance_id = db.session.get(Booking, booking_id).instance_id
    return list(db.session.execute(select(Job).where(Job.instance_id == instance_id).order_by(Job.id)).scalars())


def incidents(booking_id: int) -> list[Incident]:
    db.session.rollback()
    instance_id = db.session.get(Booking, booking_id).instance_id
    return list(db.session.execute(select(Incident).where(Incident.instance_id == instance_id,
                                                          Incident.resolved_at.is_(None))).scalars())


def run_pending_jobs() -> None:
    sweep()
    db.session.rollback()
