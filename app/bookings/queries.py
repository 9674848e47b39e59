"""The read side of booking: the catalogue, a resource's calendar (day or week, each slot free, taken, yours,
or past), one booking with what its viewer may do, one's bookings and credit, the staff's list of bookings
and suspensions, and what other areas may ask (upcoming bookings of a person)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.bookings import domain
from app.bookings.catalogue import schedule_of
from app.bookings.models import Booking, BookingCredit, CreditEvent, Resource
from app.engine.models import Incident, OpenTask
from app.identity.models import College, User
from app.identity.principal import Principal
from app.platform import clock
from app.platform.extensions import db

KIND_ORDER = {k: i for i, k in enumerate(domain.RESOURCE_KINDS)}


def resources(include_inactive: bool = False) -> list[Resource]:
    stmt = select(Resource).order_by(Resource.kind, Resource.code)
    if not include_inactive:
        stmt = stmt.where(Resource.active.is_(True))
    return sorted(db.session.execute(stmt).scalars(), key=lambda r: (KIND_ORDER.get(r.kind, 9), r.code))


def resource(resource_id: int) -> Resource | None:
    return db.session.get(Resource, resource_id)


@dataclass
class SlotView:
    start: datetime
    end: datetime
    state: str                    # free | taken | mine | queued | past | closed
    booking_id: int | None = None  # the viewer's own booking (or waitlist place) of this slot
    waiting: int = 0


@dataclass
class DayView:
    day: date
    closed: bool
    slots: list[SlotView] = field(default_factory=list)


def calendar(principal: Principal, resource_: Resource, first: date, days: int) -> list[DayView]:
    """The slots of `days` days from `first`, each with its state for this viewer."""
    schedule = schedule_of(resource_)
    start = datetime.combine(first, schedule.opens, domain.LOCAL_TZ)
    end = datetime.combine(first + timedelta(days=days), schedule.closes, domain.LOCAL_TZ)
    rows = db.session.execute(select(Booking.id, Booking.user_id, Booking.start_at, Booking.end_at, Booking.status)
                              .where(Booking.resource_id == resource_.id, Booking.start_at < end,
                                     Booking.end_at > start,
                                     Booking.status.in_((*domain.HOLDING, domain.WAITLISTED)))).all()
    now = clock.utcnow()
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        slots = domain.day_slots(schedule, day)
        view = DayView(day, not slots)
        for slot in slots:
            holding = [r for r in rows if r.status in domain.HOLDING and r.start_at < slot.end and r.end_at > slot.start]
            queue = [r for r in rows if r.status == domain.WAITLISTED and r.start_at == slot.start]
            mine = next((r for r in holding if r.user_id == principal.id), None)
            queued = next((r for r in queue if r.user_id == principal.id), None)
            if mine is not None:
                item = SlotView(slot.start, slot.end, "mine", mine.id)
            elif queued is not None:
                item = SlotView(slot.start, slot.end, "queued", queued.id, len(queue))
            elif slot.start <= now:
                item = SlotView(slot.start, slot.end, "past")
            elif holding:
                item = SlotView(slot.start, slot.end, "taken", None, len(queue))
            elif domain.slot_problem(schedule, slot, now):
                item = SlotView(slot.start, slot.end, "closed")
            else:
                item = SlotView(slot.start, slot.end, "free")
            view.slots.append(item)
        out.append(view)
    return out


def waitlist_position(booking: Booking) -> int:
    """1 for the first in line."""
    return db.session.execute(select(func.count()).select_from(Booking).where(
        Booking.resource_id == booking.resource_id, Booking.start_at == booking.start_at,
        Booking.end_at == booking.end_at, Booking.status == domain.WAITLISTED, Booking.id <= booking.id)).scalar()


@dataclass
class BookingDetail:
    booking: Booking
    resource: Resource
    booker: str
    college: str | None
    is_booker: bool
    is_manager: bool
    open_tasks: list[str]
    incidents: list
    waitlist_position: int | None
    approval_task: str | None


def booking_detail(principal: Principal, booking_id: int) -> BookingDetail | None:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not domain.may_see(principal, booking.user_id):
        return None
    resource_ = db.session.get(Resource, booking.resource_id)
    booker = db.session.get(User, booking.user_id)
    college = db.session.execute(select(College.name).where(College.id == booking.college_id)).scalar() \
        if booking.college_id else None
    tasks, incidents, approval = [], [], None
    if booking.instance_id is not None:
        rows = db.session.execute(select(OpenTask.spec_id, OpenTask.task_guid)
                                  .where(OpenTask.instance_id == booking.instance_id)).all()
        tasks = [r.spec_id for r in rows]
        approval = next((r.task_guid for r in rows if r.spec_id == "approve"), None)
        if domain.is_manager(principal):
            incidents = list(db.session.execute(select(Incident).where(
                Incident.instance_id == booking.instance_id, Incident.resolved_at.is_(None))).scalars())
    position = None
    if booking.status == domain.WAITLISTED:
        position = waitlist_position(booking)
    return BookingDetail(booking, resource_, booker.display_name if booker else "", college,
                         booking.user_id == principal.id, domain.is_manager(principal), tasks, incidents, position,
                         approval)


def my_bookings(user_id: int, limit: int = 100) -> list[tuple[Booking, Resource]]:
    return list(db.session.execute(select(Booking, Resource).join(Resource, Resource.id == Booking.resource_id)
                                   .where(Booking.user_id == user_id)
                                   .order_by(Booking.start_at.desc()).limit(limit)).all())


@dataclass
class CreditView:
    score: int
    no_shows: int
    suspended_until: datetime | None
    events: list


def credit_of(user_id: int, start: int) -> CreditView:
    account = db.session.get(BookingCredit, user_id)
    events = list(db.session.execute(select(CreditEvent).where(CreditEvent.user_id == user_id)
                                     .order_by(CreditEvent.id.desc()).limit(20)).scalars())
    if account is None:
        return CreditView(start, 0, None, events)
    until = account.suspended_until if domain.is_suspended(account.suspended_until, clock.utcnow()) else None
    return CreditView(account.score, account.no_shows, until, events)


def all_bookings(status: str | None, resource_id: int | None, limit: int = 200):
    stmt = (select(Booking, Resource.name.label("resource_name"), User.display_name.label("booker"))
            .join(Resource, Resource.id == Booking.resource_id).join(User, User.id == Booking.user_id)
            .order_by(Booking.start_at.desc()).limit(limit))
    if status:
        stmt = stmt.where(Booking.status == status)
    if resource_id:
        stmt = stmt.where(Booking.resource_id == resource_id)
    return db.session.execute(stmt).all()


def suspensions():
    return db.session.execute(select(BookingCredit, User.display_name, User.username)
                              .join(User, User.id == BookingCredit.user_id)
                              .where(BookingCredit.suspended_until > clock.utcnow())
                              .order_by(BookingCredit.suspended_until)).all()


def device_incidents():
    """Open incidents of booking processes (a device that stayed unreachable), newest first."""
    return db.session.execute(select(Incident, Booking.id.label("booking_id"), Booking.number,
                                     Resource.name.label("resource_name"))
                              .join(Booking, Booking.instance_id == Incident.instance_id)
                              .join(Resource, Resource.id == Booking.resource_id)
                              .where(Incident.resolved_at.is_(None)).order_by(Incident.id.desc())).all()


def upcoming_for(user_id: int) -> list[dict]:
    """What other areas may show of a person's bookings (an interview invitation shows the booked studio)."""
    rows = db.session.execute(select(Booking.id, Booking.number, Booking.start_at, Booking.end_at, Booking.status,
                                     Resource.name).join(Resource, Resource.id == Booking.resource_id)
                              .where(Booking.user_id == user_id, Booking.status.in_(domain.HOLDING),
                                     Booking.end_at > clock.utcnow()).order_by(Booking.start_at)).all()
    return [dict(id=r.id, number=r.number, start_at=r.start_at, end_at=r.end_at, status=r.status, resource=r.name)
            for r in rows]
