"""Usage statistics from the bookings' history: per resource and per department (the booker's college),
hours booked (slots that were held when their time came) against hours used (check-in to end), and the
no-show rate (no-shows over bookings whose time came)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.bookings import domain
from app.bookings.models import Booking, Resource
from app.identity.models import College
from app.platform.extensions import db

CAME_DUE = (domain.COMPLETED, domain.NO_SHOW, domain.IN_USE)


@dataclass
class Line:
    key: str
    label: str
    bookings: int = 0
    no_shows: int = 0
    booked_minutes: int = 0
    used_minutes: int = 0

    @property
    def booked_hours(self) -> float:
        return round(self.booked_minutes / 60, 1)

    @property
    def used_hours(self) -> float:
        return round(self.used_minutes / 60, 1)

    @property
    def no_show_rate(self) -> float:
        return round(self.no_shows / self.bookings, 3) if self.bookings else 0.0

    @property
    def use_rate(self) -> float:
        return round(self.used_minutes / self.booked_minutes, 3) if self.booked_minutes else 0.0


@dataclass
class Usage:
    by_resource: list[Line] = field(default_factory=list)
    by_department: list[Line] = field(default_factory=list)
    total: Line = field(default_factory=lambda: Line("all", ""))


def _add(line: Line, row) -> None:
    line.bookings += 1
    line.booked_minutes += int((row.end_at - row.start_at).total_seconds() // 60)
    if row.status == domain.NO_SHOW:
        line.no_shows += 1
    line.used_minutes += domain.used_minutes(row.checked_in_at, row.ended_at)


def usage(since: date, until: date) -> Usage:
    """Bookings that started from `since` to `until` (local days, both included)."""
    start = datetime.combine(since, time(0), domain.LOCAL_TZ)
    end = datetime.combine(until + timedelta(days=1), time(0), domain.LOCAL_TZ)
    rows = db.session.execute(
        select(Booking.resource_id, Booking.college_id, Booking.status, Booking.start_at, Booking.end_at,
               Booking.checked_in_at, Booking.ended_at, Resource.name, Resource.code, College.name.label("college"))
        .join(Resource, Resource.id == Booking.resource_id).outerjoin(College, College.id == Booking.college_id)
        .where(Booking.start_at >= start, Booking.start_at < end, Booking.status.in_(CAME_DUE))).all()
    result = Usage()
    resources: dict[int, Line] = {}
    departments: dict[str, Line] = {}
    for row in rows:
        _add(resources.setdefault(row.resource_id, Line(row.code, row.name)), row)
        label = row.college or "—"
        _add(departments.setdefault(label, Line(str(row.college_id or 0), label)), row)
        _add(result.total, row)
    result.by_resource = sorted(resources.values(), key=lambda l: -l.booked_minutes)
    result.by_department = sorted(departments.values(), key=lambda l: -l.booked_minutes)
    return result
