"""What the area's routes share: strict reading of ids, numbers, dates and times from requests."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort

from app.platform.clock import LOCAL_TZ
from app.platform.params import MAX_ID, whole_number


def object_id(value: int) -> int:
    """An id from the URL that a database column can hold (larger: no such object)."""
    if not 0 < value <= MAX_ID:
        abort(404)
    return value


def int_value(raw: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """An ASCII whole number within bounds, else None (never int('²'))."""
    return whole_number(raw, low, high)


def date_value(raw: str | None) -> date | None:
    try:
        value = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def local_datetime(raw: str | None) -> datetime | None:
    """<input type=datetime-local> (the office's time) as an aware datetime."""
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if not 2000 <= value.year <= 2100:
        return None
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value


def text_value(raw: str | None, limit: int) -> str:
    return (raw or "").replace("\x00", "").strip()[:limit]
