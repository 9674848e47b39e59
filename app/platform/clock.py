"""The project's one clock (utcnow, with clock_at for demo data made as if it happened then), its one local
time zone and its one ISO 8601 duration parser (isodate).

Pure Python: domain modules may import it. The zone is the office's (PROCESS_TIMEZONE, default Asia/Shanghai);
the engine's timers, the evaluator processes, forms, pages and documents all read it from here.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import isodate

TIMEZONE_NAME = os.environ.get("PROCESS_TIMEZONE", "Asia/Shanghai")
LOCAL_TZ = ZoneInfo(TIMEZONE_NAME)

_clock_offset = timedelta(0)


def utcnow() -> datetime:
    """Now, aware UTC: every timestamp and every "now" of a rule comes from here."""
    return datetime.now(timezone.utc) + _clock_offset


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Inside the block, utcnow() runs from `moment` on (time keeps going): demo data made through the
    processes as if it happened days ago (`flask demo-data`), so that history, due dates and overdue tasks
    are real. For command-line use in one thread; never in a web request."""
    global _clock_offset
    before = _clock_offset
    _clock_offset = moment - datetime.now(timezone.utc)
    try:
        yield
    finally:
        _clock_offset = before


def local_text(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware moment as the office's wall-clock text; "" for none."""
    return moment.astimezone(LOCAL_TZ).strftime(fmt) if moment else ""


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of fixed length ("P7D", "PT1H30M", "P1W"). Years and months have no fixed length
    and are refused, as are negative and empty durations."""
    try:
        value = isodate.parse_duration(text or "")
    except (isodate.ISO8601Error, ValueError, TypeError) as err:
        raise ValueError(f"not an ISO 8601 duration (like P7D): {text!r}") from err
    if not isinstance(value, timedelta):
        raise ValueError(f"a duration in years or months has no fixed length; use days (like P30D): {text!r}")
    if value <= timedelta(0):
        raise ValueError(f"a duration must be positive: {text!r}")
    return value


def parse_cycle(text: str) -> tuple[int | None, timedelta]:
    """An ISO 8601 repeating interval "R<n>/<duration>" (n omitted = unbounded)."""
    match = re.fullmatch(r"R(\d*)/(P.+)", text or "")
    if not match:
        raise ValueError(f"not an ISO 8601 repeating interval (like R3/P2D): {text!r}")
    return (int(match.group(1)) if match.group(1) else None), parse_duration(match.group(2))
