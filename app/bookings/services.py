"""Booking verbs: book a slot (the database refuses an overlap), join a waitlist, cancel, check in, finish; and
the steps the process's service tasks take (tasks/bookings.py): the staff decision, the reminder, the no-show,
the end of use, the waitlist's offer and its answer. Each is one unit of work and safe to run twice (it looks
at the booking's status first). Device calls are in app/bookings/device_calls.py; credit in credit.py."""
from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app import engine
from app.bookings import credit, domain, live_events, notices
from app.bookings.catalogue import schedule_of
from app.bookings.models import Booking, Resource
from app.engine.models import Incident, OpenTask
from app.identity.models import Student, User
from app.notifications import moment, notify
from app.notifications.links import path_for
from app.platform import clock
from app.platform.extensions import db
from app.platform.uow import unit_of_work

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
MAX_UPCOMING = 3  # holding bookings one person may have that have not ended
CHECK_IN_TASK, FINISH_TASK, OFFER_TASK = "check_in", "finish_use", "accept_offer"
SLOT_MESSAGES = {
    "order": _l("The end must come after the start."),
    "past": _l("This time has already begun."),
    "too_far": _l("This resource can be booked at most %(days)s days ahead."),
    "closed_day": _l("The resource is closed on that day."),
    "hours": _l("Outside the opening hours (%(opens)s–%(closes)s)."),
    "aligned": _l("Bookings follow the slots of %(minutes)s minutes."),
    "too_long": _l("At most %(minutes)s minutes in one booking."),
}


class BookingError(Exception):
    """A refused booking action; the message (translated when shown) is for the person who acted.
    `code` tells the caller what kind of refusal it is (taken: the slot is held by someone else)."""

    def __init__(self, message, code: str = "refused"):
        super().__init__(message)
        self.code = code


def _local(moment_: datetime) -> str:
    return moment_.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def when_text(start: datetime, end: datetime) -> str:
    same_day = start.astimezone(LOCAL_TZ).date() == end.astimezone(LOCAL_TZ).date()
    return f"{_local(start)}–{end.astimezone(LOCAL_TZ).strftime('%H:%M') if same_day else _local(end)}"


def snapshot(booking: Booking, resource: Resource) -> dict:
    """What the process keeps of a booking (its timers read these): every service task returns it."""
    return {
        "status": booking.status, "number": booking.number,
        "start_at": booking.start_at.isoformat(), "end_at": booking.end_at.isoformat(),
        "remind_at": domain.remind_at(booking.start_at, resource.remind_minutes).isoformat(),
        "grace_until": booking.grace_until.isoformat(),
        "offer_expires_at": (booking.offer_expires_at or booking.end_at).isoformat(),
        "when_text": when_text(booking.start_at, booking.end_at),
        "needs_approval": resource.booking_mode == domain.APPROVAL,
    }


def _lock(booking_id: int) -> Booking:
    found = db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()).scalar_one_or_none()
    if found is None:
        raise BookingError(_l("There is no such booking."))
    return found


def _move(booking: Booking, target: str, now: datetime) -> None:
    if not domain.can_move(booking.status, target):
        raise BookingError(_l("This booking can no longer change (it is %(status)s).", status=booking.status))
    booking.status = target
    booking.updated_at = now
    live_events.booking_changed(booking)


def _params(booking: Booking, resource: Resource, **more) -> dict:
    return {"number": booking.number, "resource": resource.name, "location": resource.location,
            "when": when_text(booking.start_at, booking.end_at), "grace": resource.grace_minutes, **more}


def _link(booking: Booking) -> str:
    return path_for("bookings.show", booking_id=booking.id)


def _check_slot(resource: Resource, slot: domain.Slot, now: datetime) -> None:
    problem = domain.slot_problem(schedule_of(resource), slot, now)
    if problem:
        raise BookingError(SLOT_MESSAGES[problem] % {
            "days": resource.advance_days, "opens": resource.opens, "closes": resource.closes,
            "minutes": resource.slot_minutes if problem == "aligned" else resource.max_minutes}, problem)


def _bookable(uow, user_id: int, resource_id: int, now: datetime) -> tuple[User, Resource]:
    user = uow.get(User, user_id)
    if user is None or not user.active:
        raise BookingError(_l("There is no such account."))
    resource = uow.get(Resource, resource_id)
    if resource is None or not resource.active or resource.booking_mode == domain.NOT_BOOKABLE:
        raise BookingError(_l("This resource cannot be booked."))
    if not domain.may_book(user.role_names, resource.roles or ()):
        raise BookingError(_l("Your role cannot book this resource."))
    until = credit.suspended_until(user_id, now)
    if until is not None:
        raise BookingError(_l("Your booking rights are suspended until %(until)s.", until=_local(until)),
                           "suspended")
    return user, resource


def _start_process(booking: Booking, resource: Resource, user: User, college_id: int | None) -> None:
    try:
        definition = engine.latest_definition(domain.PROCESS_KEY)
    except engine.NotFound:
        raise BookingError(_l("The booking process is not deployed; ask an administrator.")) from None
    data = {
        "booking_id": booking.id, "booking_key": domain.booking_key(booking.id), "booking": snapshot(booking, resource),
        "lane_owners": {"booker": [user.id]}, "booker_name": user.display_name, "resource_name": resource.name,
        "resource_location": resource.location, "purpose": booking.purpose, "number": booking.number,
        "has_devices": bool(resource.devices),
    }
    booking.instance_id = engine.start_instance(definition, data, business_key=domain.booking_key(booking.id),
                                                started_by=user.id, scope={"college": college_id})


def _new_booking(uow, user: User, resource: Resource, slot: domain.Slot, purpose: str, status: str,
                 now: datetime) -> Booking:
    college_id = uow.execute(select(Student.college_id).where(Student.user_id == user.id)).scalar()
    booking_id = _new_id(uow)
    year = slot.start.astimezone(LOCAL_TZ).year
    booking = Booking(
        id=booking_id, number=domain.booking_number(year, booking_id) if booking_id else f"T{uuid.uuid4().hex[:19]}",
        resource_id=resource.id, user_id=user.id,
        college_id=college_id, purpose=purpose, start_at=slot.start, end_at=slot.end, status=status,
        grace_until=domain.grace_until(slot.start, resource.grace_minutes, slot.end), device_log=[],
        created_at=now, updated_at=now)
    uow.add(booking)
    return booking


def _overlap_refused(err: DBAPIError) -> bool:
    """The database refused the booking's time: the exclusion constraint or SQLite's trigger, or PostgreSQL
    ended one of two inserts that waited for each other over the same time (deadlock_detected: the other one
    goes on and holds it)."""
    return isinstance(err, IntegrityError) or getattr(err.orig, "sqlstate", None) == "40P01"


def _new_id(uow) -> int | None:
    """预约编号 comes from the row's id, not from a counter row that every booking would queue for (a rush on
    a week's slots must not wait on one lock). On PostgreSQL the id is drawn before the insert, so the row is
    written once: a second write of it would check the exclusion constraint again, and could wait for a
    competing insert that waits for it (a deadlock). SQLite (one writer at a time) numbers it after the insert."""
    if uow.get_bind().dialect.name != "postgresql":
        return None
    return uow.execute(text("SELECT nextval(pg_get_serial_sequence('booking', 'id'))")).scalar_one()


def _number(booking: Booking) -> None:
    if booking.number.startswith("T"):
        booking.number = domain.booking_number(booking.start_at.astimezone(LOCAL_TZ).year, booking.id)
        db.session.flush()


def _check_purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not 2 <= len(purpose) <= domain.LIMITS["purpose"]:
        raise BookingError(_l("Say what the booking is for (2 to %(n)s characters).", n=domain.LIMITS["purpose"]),
                           "purpose")
    return purpose


def book(user_id: int, resource_id: int, slot: domain.Slot, purpose: str) -> int:
    """Book a slot; returns the booking id. The database refuses a slot someone holds (BookingError with code
    "taken"): two requests for one slot give one booking, whatever their timing."""
    purpose = _check_purpose(purpose)
    now = clock.utcnow()
    with unit_of_work() as uow:
        user, resource = _bookable(uow, user_id, resource_id, now)
        _check_slot(resource, slot, now)
        upcoming = uow.execute(select(func.count()).select_from(Booking).where(
            Booking.user_id == user_id, Booking.status.in_(domain.HOLDING), Booking.end_at > now)).scalar()
        if upcoming >= MAX_UPCOMING:
            raise BookingError(_l("You already have %(n)s bookings to come; cancel one first.", n=upcoming), "limit")
        booking = _new_booking(uow, user, resource, slot, purpose, domain.status_on_request(resource.booking_mode), now)
        try:
            uow.flush()
        except DBAPIError as err:
            if not _overlap_refused(err):
                raise
            raise BookingError(_l("This slot has just been taken. You can join its waitlist."), "taken") from None
        _number(booking)
        live_events.booking_changed(booking)
        _start_process(booking, resource, user, booking.college_id)
        if booking.status == domain.CONFIRMED:
            notify([user.id], notices.CONFIRMED.name, params=_params(booking, resource), link=_link(booking),
                   key=f"booking:{booking.id}:confirmed")
        uow.commit()
        return booking.id


def join_waitlist(user_id: int, resource_id: int, slot: domain.Slot, purpose: str) -> int:
    """Queue for a slot someone else holds; the first in line is offered it when it is released."""
    purpose = _check_purpose(purpose)
    now = clock.utcnow()
    with unit_of_work() as uow:
        user, resource = _bookable(uow, user_id, resource_id, now)
        _check_slot(resource, slot, now)
        holders = uow.execute(select(Booking.user_id, Booking.start_at, Booking.end_at).where(
            Booking.resource_id == resource_id, Booking.status.in_(domain.HOLDING),
            Booking.start_at < slot.end, Booking.end_at > slot.start)).all()
        if not any(h.start_at == slot.start and h.end_at == slot.end for h in holders):
            raise BookingError(_l("This slot is free (or partly taken): book it instead."), "free")
        if any(h.user_id == user_id for h in holders):
            raise BookingError(_l("You hold this slot already."))
        queued = uow.execute(select(Booking.id).where(
            Booking.resource_id == resource_id, Booking.user_id == user_id, Booking.start_at == slot.start,
            Booking.status.in_((domain.WAITLISTED, domain.OFFERED)))).first()
        if queued is not None:
            raise BookingError(_l("You are in this slot's waitlist already."))
        booking = _new_booking(uow, user, resource, slot, purpose, domain.WAITLISTED, now)
        uow.flush()
        _number(booking)
        live_events.booking_changed(booking)
        _start_process(booking, resource, user, booking.college_id)
        uow.commit()
        return booking.id


def _release(booking: Booking, resource: Resource, now: datetime) -> None:
    """The booking stopped holding its time: offer it to the first in its waitlist (if there is still time
    to use it), in this transaction."""
    db.session.flush()  # the holder's new status first: the offer takes the time it held
    if not domain.may_offer(resource.booking_mode, now, booking.start_at, booking.end_at, resource.grace_minutes):
        return
    waiting = db.session.execute(select(Booking).where(
        Booking.resource_id == booking.resource_id, Booking.start_at == booking.start_at,
        Booking.end_at == booking.end_at, Booking.status == domain.WAITLISTED)
        .order_by(Booking.id).limit(1).with_for_update()).scalar_one_or_none()
    if waiting is None:
        return
    _move(waiting, domain.OFFERED, now)
    waiting.offer_expires_at = domain.offer_expires(now, waiting.start_at, waiting.end_at)
    waiting.grace_until = max(waiting.grace_until, domain.grace_until(
        max(now, waiting.start_at), resource.grace_minutes, waiting.end_at))
    db.session.flush()
    engine.deliver_message(domain.OFFER_MESSAGE, {"booking": snapshot(waiting, resource)},
                           {"business_key": domain.booking_key(waiting.id)})
    notify([waiting.user_id], notices.OFFERED.name,
           params=_params(waiting, resource, deadline=_local(waiting.offer_expires_at)), link=_link(waiting),
           key=f"booking:{waiting.id}:offered")


def cancel(booking_id: int, actor_id: int, reason: str, as_staff: bool = False) -> None:
    """The booker (or staff, with a reason) cancels before the start; the slot goes to the waitlist."""
    reason = (reason or "").strip()
    if as_staff and not 2 <= len(reason) <= domain.LIMITS["reason"]:
        raise BookingError(_l("Give a reason (2 to %(n)s characters).", n=domain.LIMITS["reason"]), "reason")
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking = _lock(booking_id)
        if not as_staff and booking.user_id != actor_id:
            raise BookingError(_l("Only the booker can cancel this booking."))
        if booking.status not in domain.CANCELLABLE or (booking.start_at <= now and booking.status != domain.WAITLISTED
                                                         and booking.status != domain.OFFERED):
            raise BookingError(_l("Only a booking that has not started can be cancelled."))
        held = booking.status in domain.HOLDING
        _move(booking, domain.CANCELLED, now)
        booking.cancel_reason = reason[: domain.LIMITS["reason"]] or None
        resource = uow.get(Resource, booking.resource_id)
        try:
            engine.deliver_message(domain.CANCEL_MESSAGE, {"cancel_reason": booking.cancel_reason or ""},
                                   {"business_key": domain.booking_key(booking_id)}, actor_id=actor_id)
        except engine.CorrelationError:
            raise BookingError(_l("Only a booking that has not started can be cancelled.")) from None
        if held:
            _release(booking, resource, now)
        if as_staff and actor_id != booking.user_id:
            notify([booking.user_id], notices.CANCELLED.name, params=_params(booking, resource, reason=reason),
                   link=_link(booking), key=f"booking:{booking.id}:cancelled")
        uow.commit()


def _open_task(instance_id: int | None, spec_id: str) -> str | None:
    if instance_id is None:
        return None
    return db.session.execute(select(OpenTask.task_guid).where(
        OpenTask.instance_id == instance_id, OpenTask.spec_id == spec_id)).scalar()


def _complete_own_task(booking: Booking, spec_id: str, data: dict, user_id: int) -> None:
    guid = _open_task(booking.instance_id, spec_id)
    if guid is None:
        raise BookingError(_l("This step is not open for this booking now."))
    try:
        engine.complete_task(guid, data, user_id)
    except engine.Conflict:
        raise BookingError(_l("This step is not open for this booking now.")) from None


def check_in(booking_id: int, user_id: int) -> None:
    """The booker checks in (from the start until the grace period ends): the booking is in use."""
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking = _lock(booking_id)
        if booking.user_id != user_id:
            raise BookingError(_l("Only the booker can check in."))
        if booking.status != domain.CONFIRMED or not booking.start_at <= now <= booking.grace_until:
            raise BookingError(_l("Check-in is open from the start until %(until)s.", until=_local(booking.grace_until)))
        _move(booking, domain.IN_USE, now)
        booking.checked_in_at = now
        _complete_own_task(booking, CHECK_IN_TASK, {"checked_in": True}, user_id)
        uow.commit()


def finish(booking_id: int, user_id: int) -> None:
    """The booker is done before the end: the devices are stopped and the use recorded (by the process)."""
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking = _lock(booking_id)
        if booking.user_id != user_id:
            raise BookingError(_l("Only the booker can end this booking."))
        if booking.status != domain.IN_USE or booking.ended_at is not None:
            raise BookingError(_l("This booking is not in use."))
        booking.ended_at = min(now, booking.end_at)
        _complete_own_task(booking, FINISH_TASK, {"finished_early": True}, user_id)
        uow.commit()


def answer_offer(booking_id: int, user_id: int, accept: bool) -> None:
    """The first in line takes (or declines) the released slot offered to him."""
    with unit_of_work() as uow:
        booking = _lock(booking_id)
        if booking.user_id != user_id or booking.status != domain.OFFERED:
            raise BookingError(_l("No slot is offered to you for this booking."))
        _complete_own_task(booking, OFFER_TASK, {"offer_answer": "accept" if accept else "decline"}, user_id)
        uow.commit()


# -- the process's steps (tasks/bookings.py) ---------------------------------------------------------------

def _step(booking_id: int) -> tuple[Booking, Resource]:
    booking = _lock(booking_id)
    return booking, db.session.get(Resource, booking.resource_id)


def decide(booking_id: int, decision: str, reason: str, actor_id: int | None) -> dict:
    """Staff approved or rejected a pending booking (the approval task in the device desk's inbox)."""
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking, resource = _step(booking_id)
        if booking.status == domain.PENDING:
            target = domain.CONFIRMED if decision == domain.DECISION_APPROVE else domain.REJECTED
            _move(booking, target, now)
            booking.decided_by, booking.decision_reason = actor_id, (reason or "").strip() or None
            if target == domain.CONFIRMED:
                notify([booking.user_id], notices.CONFIRMED.name, params=_params(booking, resource),
                       link=_link(booking), key=f"booking:{booking.id}:confirmed")
            else:
                notify([booking.user_id], notices.REJECTED.name,
                       params=_params(booking, resource, reason=booking.decision_reason or ""), link=_link(booking),
                       key=f"booking:{booking.id}:rejected")
                _release(booking, resource, now)
        result = snapshot(booking, resource)
        uow.commit()
        return result


def expire(booking_id: int) -> dict:
    """Nobody decided before the start: the request lapses."""
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking, resource = _step(booking_id)
        if booking.status == domain.PENDING:
            _move(booking, domain.EXPIRED, now)
            notify([booking.user_id], notices.EXPIRED.name, params=_params(booking, resource), link=_link(booking),
                   key=f"booking:{booking.id}:expired")
        result = snapshot(booking, resource)
        uow.commit()
        return result


def remind(booking_id: int) -> dict:
    """Before the start: tell the booker (not when the booking was made inside the reminder window)."""
    with unit_of_work() as uow:
        booking, resource = _step(booking_id)
        reminded = False
        if (booking.status == domain.CONFIRMED and clock.utcnow() < booking.start_at
                and booking.created_at < domain.remind_at(booking.start_at, resource.remind_minutes)):
            reminded = notify([booking.user_id], notices.REMINDER.name, params=_params(booking, resource),
                              link=_link(booking), key=f"booking:{booking.id}:reminder") > 0
        result = {**snapshot(booking, resource), "reminded": reminded}
        uow.commit()
        return result


def no_show(booking_id: int) -> dict:
    """Not checked in within the grace period: released (to the waitlist), and the booker's credit drops."""
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking, resource = _step(booking_id)
        if booking.status == domain.CONFIRMED:
            _move(booking, domain.NO_SHOW, now)
            after = credit.record_no_show(booking.user_id, booking.id, now)
            notify([booking.user_id], notices.NO_SHOW.name, params=_params(booking, resource, score=after.score),
                   link=_link(booking), key=f"booking:{booking.id}:no_show")
            _release(booking, resource, now)
        result = snapshot(booking, resource)
        uow.commit()
        return result


def complete(booking_id: int) -> dict:
    """The use ended (the booker finished, or the time ran out): the usage record."""
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking, resource = _step(booking_id)
        if booking.status == domain.IN_USE:
            _move(booking, domain.COMPLETED, now)
            booking.ended_at = booking.ended_at or min(now, booking.end_at)
        result = {**snapshot(booking, resource),
                  "used_minutes": domain.used_minutes(booking.checked_in_at, booking.ended_at)}
        uow.commit()
        return result


def record_offer_answer(booking_id: int, accepted: bool) -> dict:
    """The offered slot taken (confirmed, or pending when staff approve this resource) or declined (the
    next in line is offered it)."""
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking, resource = _step(booking_id)
        if booking.status == domain.OFFERED:
            if accepted:
                _move(booking, domain.status_on_request(resource.booking_mode), now)
                if booking.status == domain.CONFIRMED:
                    notify([booking.user_id], notices.CONFIRMED.name, params=_params(booking, resource),
                           link=_link(booking), key=f"booking:{booking.id}:confirmed")
            else:
                _move(booking, domain.LAPSED, now)
                _release(booking, resource, now)
        result = snapshot(booking, resource)
        uow.commit()
        return result


def lapse(booking_id: int) -> dict:
    """A waitlist place ends: the offer was not answered in time (the next in line gets it), or the slot
    ended without being released."""
    now = clock.utcnow()
    with unit_of_work() as uow:
        booking, resource = _step(booking_id)
        if booking.status in (domain.WAITLISTED, domain.OFFERED):
            offered = booking.status == domain.OFFERED
            _move(booking, domain.LAPSED, now)
            if offered:
                _release(booking, resource, now)
        result = snapshot(booking, resource)
        uow.commit()
        return result



def retry_devices(booking_id: int, incident_id: int, actor_id: int) -> None:
    """Staff fixed the device (or its connection): run the failed device step again. Its commands carry the
    same idempotency keys, so what had already happened is not done twice."""
    with unit_of_work() as uow:
        booking = uow.get(Booking, booking_id)
        incident = uow.get(Incident, incident_id)
        if booking is None or incident is None or incident.instance_id != booking.instance_id:
            raise BookingError(_l("There is no such incident on this booking."))
        if incident.resolved_at is not None:
            raise BookingError(_l("This incident is already resolved."))
        uow.commit()
    try:
        engine.retry_incident(incident_id, actor_id)
    except engine.EngineError as err:
        raise BookingError(_l("The retry failed: %(error)s", error=str(err))) from None


def recording_path(booking: Booking, var_dir) -> Path | None:
    """The registered recording's file, only from the area's recordings folder."""
    root = (Path(var_dir) / "bookings" / "recordings").resolve()
    path = Path((booking.recording or {}).get("path") or "").resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def current(booking_id: int) -> dict:
    """The booking as the process should see it now (after a step taken outside the process: an offer)."""
    with unit_of_work() as uow:
        booking, resource = _step(booking_id)
        result = snapshot(booking, resource)
        uow.commit()
        return result
