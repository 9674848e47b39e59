"""The booking area's "now" (one place, so tests can move time: tests/bookings/clock.py)."""
from __future__ import annotations

from datetime import datetime

from app.platform.db_types import utcnow


def now() -> datetime:
    return utcnow()
