"""The one time zone and the one ISO 8601 duration parser (isodate) of the project."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.platform.clock import LOCAL_TZ, local_text, parse_cycle, parse_duration


def test_durations_of_fixed_length():
    assert parse_duration("P7D") == timedelta(days=7)
    assert parse_duration("PT1S") == timedelta(seconds=1)
    assert parse_duration("P1W2DT3H4M5.5S") == timedelta(days=9, hours=3, minutes=4, seconds=5.5)
    for bad in ("", "P", "7D", "PT", "P0D", "P1Y", "P1M", "-P1D", None):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_repeating_intervals():
    assert parse_cycle("R3/P2D") == (3, timedelta(days=2))
    assert parse_cycle("R/PT1H") == (None, timedelta(hours=1))
    for bad in ("P2D", "R3/", "R3/P1M", "Rx/P1D"):
        with pytest.raises(ValueError):
            parse_cycle(bad)


def test_local_wall_clock():
    moment = datetime(2026, 8, 31, 16, 30, tzinfo=timezone.utc)
    assert local_text(moment) == "2026-09-01 00:30"  # Asia/Shanghai, UTC+8 all year
    assert local_text(None) == ""
    assert moment.astimezone(LOCAL_TZ).utcoffset() == timedelta(hours=8)
