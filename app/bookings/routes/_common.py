"""What the area's routes share: strict reading of ids, dates and times from requests."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort

from app.bookings.domain import LOCAL_TZ

MAX_ID = 2**31 - 1


def object_id(value: int) -> int:
    """An id from the URL that a database column can hold (larger: no such object)."""
    if not 0 < value <= MAX_ID:
        abort(404)
    return value


def date_value(raw: str | None) -> date | None:
    try:
        value = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def local_datetime(raw: str | None) -> datetime | None:
    """An ISO time from a slot button (local when it has no offset) as an aware datetime."""
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if not 2000 <= value.year <= 2100:
        return None
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value


def text_value(raw: str | None, limit: int) -> str:
    return (raw or "").replace("\x00", "").strip()[:limit]
