"""The booking area's "now" (one place: the demo data books past slots as if it were then; the tests move
time for the area, the engine's timers and SpiffWorkflow together, tests/bookings/clock.py)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from app.platform.db_types import utcnow

_shift = {"to": None}


def now() -> datetime:
    return _shift["to"] or utcnow()


@contextmanager
def as_if(moment: datetime) -> Iterator[None]:
    """The area's rules see `moment` as now inside the block (demo data of past bookings)."""
    _shift["to"] = moment
    try:
        yield
    finally:
        _shift["to"] = None
