"""Column types shared by the models, and the clock every timestamp comes from (utcnow)."""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# BIGINT on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY auto-increments).
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite keeps no time zone, so we normalise on the way in and out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


_clock_offset = timedelta(0)


def utcnow() -> datetime:
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


class UTCTimestamp(TypeDecorator):
    """A moment stored WITH its time zone on PostgreSQL (timestamptz: usable in range types such as
    tstzrange, e.g. exclusion constraints over time ranges) and as naive UTC on SQLite; returned aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
