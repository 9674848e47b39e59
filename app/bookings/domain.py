"""Booking rules (录播间 · 面试间 · 自助打印 · 大屏), in plain Python: resource kinds and booking modes, the
schedule a resource keeps (opening hours, closed days, slot length, longest booking, how far ahead), booking
statuses and their transitions, the check-in grace period, the credit score with its suspension, and who may
book or act (over app.identity.principal.Principal).

No Flask, no database: services load the facts and apply these rules.

    booking:  pending (approval) -> confirmed -> in_use -> completed
                 |                    |  +-> no_show (not checked in within the grace period)
                 +-> rejected | expired (not decided before the start)
              pending | confirmed -> cancelled (before the start)
    waitlist: waitlisted -> offered (a released slot, held for a time to accept) -> pending | confirmed
                 |              +-> lapsed (declined, or the time ran out: the next in line is offered)
                 +-> lapsed (the slot ended without a release) | cancelled (left the line)
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.identity.principal import Principal

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
PROCESS_KEY = "device_booking"
CANCEL_MESSAGE = "booking_cancelled"
OFFER_MESSAGE = "booking_offered"

# -- resources ---------------------------------------------------------------------------------------------

STUDIO, INTERVIEW_ROOM, PRINT_ROBOT, BIG_SCREEN = "studio", "interview_room", "print_robot", "big_screen"
RESOURCE_KINDS = (STUDIO, INTERVIEW_ROOM, PRINT_ROBOT, BIG_SCREEN)
NOT_BOOKABLE, DIRECT, APPROVAL = "closed", "direct", "approval"
BOOKING_MODES = (NOT_BOOKABLE, DIRECT, APPROVAL)
DEVICE_KINDS = ("studio", "printer", "screen")
BOOKING_ROLES = ("student", "counselor", "staff", "employer")
CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
LIMITS = {"code": 30, "name": 60, "location": 100, "description": 1000, "purpose": 200, "reason": 500}


@dataclass(frozen=True)
class Schedule:
    """When a resource can be booked: opening hours (local time), closed weekdays (0 = Monday) and dates,
    the slot length, the longest booking and how many days ahead a booking may start."""

    opens: time = time(8, 0)
    closes: time = time(21, 0)
    closed_weekdays: frozenset[int] = frozenset()
    closed_dates: frozenset[date] = frozenset()
    slot_minutes: int = 60
    max_minutes: int = 120
    advance_days: int = 7


@dataclass(frozen=True)
class ResourceInput:
    """A resource as staff describe it (the catalogue form and each row of an Excel import)."""

    code: str
    name: str
    kind: str
    location: str
    booking_mode: str
    schedule: Schedule
    grace_minutes: int = 15
    remind_minutes: int = 60
    roles: tuple[str, ...] = ("student",)
    devices: tuple[tuple[str, str], ...] = ()  # (device id, device kind) at the gateway
    description: str = ""


def resource_problems(value: ResourceInput) -> dict[str, str]:
    """Field -> problem code of a resource description (empty: it is fine)."""
    problems: dict[str, str] = {}
    if not value.code or len(value.code) > LIMITS["code"] or not set(value.code) <= CODE_CHARS:
        problems["code"] = "code"
    if not 1 <= len(value.name.strip()) <= LIMITS["name"]:
        problems["name"] = "text"
    if len(value.location) > LIMITS["location"]:
        problems["location"] = "text"
    if value.kind not in RESOURCE_KINDS:
        problems["kind"] = "choice"
    if value.booking_mode not in BOOKING_MODES:
        problems["booking_mode"] = "choice"
    s = value.schedule
    if s.closes <= s.opens:
        problems["closes"] = "hours"
    if not 5 <= s.slot_minutes <= 480 or s.slot_minutes % 5:
        problems["slot_minutes"] = "slot"
    elif not s.slot_minutes <= s.max_minutes <= 24 * 60 or s.max_minutes % s.slot_minutes:
        problems["max_minutes"] = "max"
    if not 0 <= s.advance_days <= 180:
        problems["advance_days"] = "range"
    if any(d not in range(7) for d in s.closed_weekdays):
        problems["closed_weekdays"] = "choice"
    if not 0 <= value.grace_minutes <= 120:
        problems["grace_minutes"] = "range"
    if not 0 <= value.remind_minutes <= 7 * 24 * 60:
        problems["remind_minutes"] = "range"
    if not value.roles or any(r not in BOOKING_ROLES for r in value.roles):
        problems["roles"] = "choice"
    ids = [d[0] for d in value.devices]
    if len(set(ids)) != len(ids) or any(not i or len(i) > 60 or not set(i) <= CODE_CHARS or k not in DEVICE_KINDS
                                        for i, k in value.devices):
        problems["devices"] = "devices"
    if len(value.description) > LIMITS["description"]:
        problems["description"] = "text"
    return problems


# -- slots -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    start: datetime  # aware
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def day_slots(schedule: Schedule, day: date) -> list[Slot]:
    """The slots of one local day (none on a closed day)."""
    if day.weekday() in schedule.closed_weekdays or day in schedule.closed_dates:
        return []
    step = timedelta(minutes=schedule.slot_minutes)
    start = datetime.combine(day, schedule.opens, LOCAL_TZ)
    close = datetime.combine(day, schedule.closes, LOCAL_TZ)
    slots = []
    while start + step <= close:
        slots.append(Slot(start, start + step))
        start += step
    return slots


def slot_problem(schedule: Schedule, slot: Slot, now: datetime) -> str | None:
    """Why this time cannot be booked (a problem code), or None."""
    if slot.end <= slot.start:
        return "order"
    if slot.start <= now:
        return "past"
    start, end = slot.start.astimezone(LOCAL_TZ), slot.end.astimezone(LOCAL_TZ)
    if start.date() > (now.astimezone(LOCAL_TZ) + timedelta(days=schedule.advance_days)).date():
        return "too_far"
    if start.date() != end.date() and end.timetz().replace(tzinfo=None) != time(0):
        return "hours"
    if start.weekday() in schedule.closed_weekdays or start.date() in schedule.closed_dates:
        return "closed_day"
    if start.time() < schedule.opens or end.time() > schedule.closes or end.date() != start.date():
        return "hours"
    offset = (datetime.combine(start.date(), start.time()) - datetime.combine(start.date(), schedule.opens))
    if offset.total_seconds() % (schedule.slot_minutes * 60) or slot.minutes % schedule.slot_minutes:
        return "aligned"
    if slot.minutes > schedule.max_minutes:
        return "too_long"
    return None


# -- bookings ----------------------------------------------------------------------------------------------

PENDING, CONFIRMED, IN_USE, COMPLETED = "pending", "confirmed", "in_use", "completed"
CANCELLED, REJECTED, EXPIRED, NO_SHOW = "cancelled", "rejected", "expired", "no_show"
WAITLISTED, OFFERED, LAPSED = "waitlisted", "offered", "lapsed"
BOOKING_STATUSES = (PENDING, CONFIRMED, IN_USE, COMPLETED, CANCELLED, REJECTED, EXPIRED, NO_SHOW, WAITLISTED,
                    OFFERED, LAPSED)
HOLDING = (PENDING, CONFIRMED, IN_USE, OFFERED)  # statuses that occupy the time: at most one per resource
CANCELLABLE = (PENDING, CONFIRMED, WAITLISTED, OFFERED)
TRANSITIONS = {
    PENDING: {CONFIRMED, REJECTED, EXPIRED, CANCELLED},
    CONFIRMED: {IN_USE, NO_SHOW, CANCELLED},
    IN_USE: {COMPLETED},
    WAITLISTED: {OFFERED, LAPSED, CANCELLED},
    OFFERED: {PENDING, CONFIRMED, LAPSED, CANCELLED},
}
DECISION_APPROVE, DECISION_REJECT = "approve", "reject"
OFFER_MINUTES = 30


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def booking_key(booking_id: int) -> str:
    """The business key of a booking's process."""
    return f"BK-{booking_id}"


def booking_number(year: int, value: int) -> str:
    """预约编号: YY, the year of the start, the booking's id (at least 5 digits)."""
    return f"YY{year}{value:05d}"


def status_on_request(mode: str) -> str:
    return PENDING if mode == APPROVAL else CONFIRMED


def remind_at(start: datetime, remind_minutes: int) -> datetime:
    return start - timedelta(minutes=remind_minutes)


def grace_until(start: datetime, grace_minutes: int, end: datetime) -> datetime:
    """The last moment to check in; never after the booking's end."""
    return min(start + timedelta(minutes=grace_minutes), end)


def offer_expires(now: datetime, start: datetime, end: datetime, minutes: int = OFFER_MINUTES) -> datetime:
    """How long the first in line has to accept a released slot: `minutes`, but not past its start (before
    it) or a quarter of what is left of it (when it has begun)."""
    if now < start:
        return min(now + timedelta(minutes=minutes), start)
    return min(now + timedelta(minutes=minutes), now + (end - now) / 4)


def may_offer(mode: str, now: datetime, start: datetime, end: datetime, grace_minutes: int) -> bool:
    """A released slot is offered to the waitlist while there is time to use it: before the start when staff
    must approve, until the last quarter of the slot for direct booking."""
    if mode == APPROVAL:
        return now < start
    return now < end - (end - start) / 4 and now + timedelta(minutes=grace_minutes) < end


def used_minutes(checked_in: datetime | None, ended: datetime | None) -> int:
    if checked_in is None or ended is None or ended <= checked_in:
        return 0
    return round((ended - checked_in).total_seconds() / 60)


# -- credit ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreditPolicy:
    """No-shows cost points; below the threshold booking is suspended for `suspension_days`, after which
    the score starts again from `start`. Defaults: three no-shows suspend for 30 days."""

    start: int = 100
    no_show_penalty: int = 10
    threshold: int = 75
    suspension_days: int = 30


@dataclass(frozen=True)
class Credit:
    score: int
    suspended_until: datetime | None = None
    no_shows: int = 0
    events: tuple[str, ...] = field(default=())  # what this change was: no_show, suspended


def after_no_show(credit: Credit, policy: CreditPolicy, now: datetime) -> Credit:
    score = credit.score - policy.no_show_penalty
    if score < policy.threshold:
        return Credit(policy.start, now + timedelta(days=policy.suspension_days), credit.no_shows + 1,
                      ("no_show", "suspended"))
    return Credit(score, credit.suspended_until, credit.no_shows + 1, ("no_show",))


def is_suspended(suspended_until: datetime | None, now: datetime) -> bool:
    return suspended_until is not None and now < suspended_until


# -- who may act -------------------------------------------------------------------------------------------

def may_book(roles: Iterable[str], allowed: Iterable[str]) -> bool:
    """A person with `roles` may book a resource that admits `allowed` roles."""
    return bool(set(roles) & set(allowed))


def is_manager(principal: Principal) -> bool:
    return principal.can("booking.manage")


def may_see(principal: Principal, booker_id: int) -> bool:
    return principal.id == booker_id or is_manager(principal)
