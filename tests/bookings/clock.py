"""Controlled time for the booking tests: moves "now" for the booking area, the engine's timer sweep and
SpiffWorkflow's timer checks together (a timer due at the booking's start fires once the test travels there),
without sleeping."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

import app.engine.timers as engine_timers
import app.platform.clock as platform_clock

_REAL = datetime


class Clock:
    def __init__(self, monkeypatch):
        self.offset = timedelta(0)
        clock = self

        class Shifted(_REAL):
            @classmethod
            def now(cls, tz=None):
                return _REAL.now(tz) + clock.offset

        monkeypatch.setattr(spiff_timer, "datetime", Shifted)
        monkeypatch.setattr(engine_timers, "utcnow", self.now)
        monkeypatch.setattr(platform_clock, "utcnow", self.now)  # the booking area reads clock.utcnow()

    def now(self) -> datetime:
        return _REAL.now(timezone.utc) + self.offset

    def travel_to(self, moment: datetime) -> None:
        """From now on "now" is `moment` (and runs on from there); never backwards."""
        self.offset = max(self.offset, moment - _REAL.now(timezone.utc))
