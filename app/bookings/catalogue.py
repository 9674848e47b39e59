"""The resource catalogue (资源目录): staff create and change resources; a resource's row as the rules see it
(its Schedule); the fields an Excel row or the form carries, read into a ResourceInput with messages per field."""
from __future__ import annotations

from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.bookings import domain
from app.bookings.models import Resource
from app.platform.db_types import utcnow
from app.platform.uow import unit_of_work

FIELDS = ("code", "name", "kind", "location", "booking_mode", "opens", "closes", "closed_weekdays", "closed_dates",
          "slot_minutes", "max_minutes", "advance_days", "grace_minutes", "remind_minutes", "roles", "devices",
          "description")
PROBLEMS = {
    "code": _l("Letters, digits, '-' and '_', up to 30."),
    "text": _l("Required, within the length allowed."),
    "choice": _l("Choose one of the values offered."),
    "hours": _l("Closing must come after opening."),
    "slot": _l("5 to 480 minutes, in steps of 5."),
    "max": _l("A whole number of slots, at most 24 hours."),
    "range": _l("Out of the allowed range."),
    "devices": _l("Device ids (letters, digits, '-', '_', '.') with a kind: studio, printer or screen."),
    "number": _l("A whole number."),
    "time": _l("A time such as 08:00."),
    "date": _l("Dates such as 2026-10-01, separated by commas."),
    "duplicate": _l("Another resource has this code."),
}


class CatalogueError(Exception):
    """A refused catalogue change; `errors` maps fields to messages."""

    def __init__(self, message, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}


def schedule_of(resource: Resource) -> domain.Schedule:
    return domain.Schedule(
        opens=time.fromisoformat(resource.opens), closes=time.fromisoformat(resource.closes),
        closed_weekdays=frozenset(resource.closed_weekdays or ()),
        closed_dates=frozenset(date.fromisoformat(d) for d in resource.closed_dates or ()),
        slot_minutes=resource.slot_minutes, max_minutes=resource.max_minutes, advance_days=resource.advance_days)


def _split(raw) -> list[str]:
    text = str(raw or "").replace("，", ",").replace("；", ",").replace(";", ",")
    return [p.strip() for p in text.split(",") if p.strip()]


def _whole(raw, field: str, errors: dict) -> int:
    text = str(raw if raw is not None else "").strip()
    if text.endswith(".0"):  # a number cell read from Excel
        text = text[:-2]
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        errors[field] = "number"
        return 0
    return int(text)


def _time(raw, field: str, errors: dict) -> time:
    text = str(raw or "").strip()
    try:
        value = time.fromisoformat(text[:5] if len(text) >= 5 else text)
    except ValueError:
        errors[field] = "time"
        return time(0)
    return value


def read_input(values: dict) -> tuple[domain.ResourceInput | None, dict[str, str]]:
    """A resource from text values (the form, an Excel row): the input, or None and problem codes per field."""
    errors: dict[str, str] = {}
    weekdays = []
    for part in _split(values.get("closed_weekdays")):
        if part.isascii() and part.isdigit() and 1 <= int(part) <= 7:
            weekdays.append(int(part) - 1)  # people count Monday as 1
        else:
            errors["closed_weekdays"] = "choice"
    dates = []
    for part in _split(values.get("closed_dates")):
        try:
            dates.append(date.fromisoformat(part))
        except ValueError:
            errors["closed_dates"] = "date"
    devices = []
    for part in _split(values.get("devices")):
        device_id, _, kind = part.partition(":")
        devices.append((device_id.strip(), kind.strip()))
    numbers = {f: _whole(values.get(f), f, errors) for f in ("slot_minutes", "max_minutes", "advance_days",
                                                            "grace_minutes", "remind_minutes")}
    schedule = domain.Schedule(
        opens=_time(values.get("opens"), "opens", errors), closes=_time(values.get("closes"), "closes", errors),
        closed_weekdays=frozenset(weekdays), closed_dates=frozenset(dates), slot_minutes=numbers["slot_minutes"],
        max_minutes=numbers["max_minutes"], advance_days=numbers["advance_days"])
    value = domain.ResourceInput(
        code=str(values.get("code") or "").strip(), name=str(values.get("name") or "").strip(),
        kind=str(values.get("kind") or "").strip(), location=str(values.get("location") or "").strip(),
        booking_mode=str(values.get("booking_mode") or "").strip(), schedule=schedule,
        grace_minutes=numbers["grace_minutes"], remind_minutes=numbers["remind_minutes"],
        roles=tuple(_split(values.get("roles"))), devices=tuple(devices),
        description=str(values.get("description") or "").strip())
    for field, code in domain.resource_problems(value).items():
        errors.setdefault(field, code)
    return (None if errors else value), errors


def as_values(resource: Resource) -> dict[str, str]:
    """A resource's fields as text (the form, the Excel export; read_input reads them back)."""
    return {
        "code": resource.code, "name": resource.name, "kind": resource.kind, "location": resource.location,
        "booking_mode": resource.booking_mode, "opens": resource.opens, "closes": resource.closes,
        "closed_weekdays": ",".join(str(d + 1) for d in sorted(resource.closed_weekdays or ())),
        "closed_dates": ",".join(sorted(resource.closed_dates or ())),
        "slot_minutes": str(resource.slot_minutes), "max_minutes": str(resource.max_minutes),
        "advance_days": str(resource.advance_days), "grace_minutes": str(resource.grace_minutes),
        "remind_minutes": str(resource.remind_minutes), "roles": ",".join(resource.roles or ()),
        "devices": ",".join(f"{d['id']}:{d['kind']}" for d in resource.devices or ()),
        "description": resource.description or "",
    }


def _apply(resource: Resource, value: domain.ResourceInput) -> None:
    s = value.schedule
    resource.code, resource.name, resource.kind = value.code, value.name, value.kind
    resource.location, resource.booking_mode = value.location, value.booking_mode
    resource.opens, resource.closes = s.opens.strftime("%H:%M"), s.closes.strftime("%H:%M")
    resource.closed_weekdays = sorted(s.closed_weekdays)
    resource.closed_dates = sorted(d.isoformat() for d in s.closed_dates)
    resource.slot_minutes, resource.max_minutes, resource.advance_days = s.slot_minutes, s.max_minutes, s.advance_days
    resource.grace_minutes, resource.remind_minutes = value.grace_minutes, value.remind_minutes
    resource.roles = list(value.roles)
    resource.devices = [{"id": i, "kind": k} for i, k in value.devices]
    resource.description = value.description
    resource.updated_at = utcnow()


def save_all(values: list[domain.ResourceInput]) -> tuple[int, int]:
    """Create or update (by code) every resource, all or nothing; returns (created, updated)."""
    created = updated = 0
    with unit_of_work() as uow:
        existing = {r.code: r for r in uow.execute(
            select(Resource).where(Resource.code.in_([v.code for v in values]))).scalars()}
        for value in values:
            resource = existing.get(value.code)
            if resource is None:
                resource = Resource(active=True)
                uow.add(resource)
                created += 1
            else:
                updated += 1
            _apply(resource, value)
        uow.commit()
    return created, updated


def save(resource_id: int | None, value: domain.ResourceInput) -> int:
    """Create (resource_id None) or change one resource; returns its id."""
    with unit_of_work() as uow:
        clash = uow.execute(select(Resource.id).where(Resource.code == value.code)).scalar()
        if clash is not None and clash != resource_id:
            raise CatalogueError(_l("Another resource has this code."), {"code": PROBLEMS["duplicate"]})
        if resource_id is None:
            resource = Resource(active=True)
            uow.add(resource)
        else:
            resource = uow.get(Resource, resource_id)
            if resource is None:
                raise CatalogueError(_l("There is no such resource."))
        _apply(resource, value)
        uow.flush()
        uow.commit()
        return resource.id


def set_active(resource_id: int, active: bool) -> None:
    with unit_of_work() as uow:
        resource = uow.get(Resource, resource_id)
        if resource is None:
            raise CatalogueError(_l("There is no such resource."))
        resource.active = active
        resource.updated_at = utcnow()
        uow.commit()
