"""A wave of timers due at the same moment (every archive's yearly update on one morning): the scheduler hands
them to two real worker processes in batches; every timer fires exactly once, and a batch whose worker never
ran it is handed out again once its lease ends (none is lost)."""
from __future__ import annotations

import multiprocessing
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from app import engine
from app.engine import timers
from app.engine.models import HistoryEvent, OpenTask, Timer
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one
from tests.procs import app_settings, run_worker

SPAWN = multiprocessing.get_context("spawn")
WAVE = 600


def _start_wave(definition, due: datetime) -> list[int]:
    ids = []
    with unit_of_work() as uow:  # a batch of starts shares one commit
        for _ in range(WAVE):
            ids.append(engine.start_instance(definition, {"due": due.isoformat()}))
        uow.commit()
    return ids


def _workers(ctx, n: int) -> None:
    procs = [SPAWN.Process(target=run_worker, args=(app_settings(ctx), None, True)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
        assert p.exitcode == 0


def test_a_wave_of_due_timers_is_fired_once_by_two_workers_and_none_is_lost(ctx, unique, monkeypatch):
    xml = b.process(f"wave_{unique}", b.start(), b.catch("wait", b.timer("timeDate", "due")), b.user("next"),
                    b.end(), b.chain("start", "wait", "next", "end"))
    definition = deploy_one(xml)
    due = datetime.now(timezone.utc) + timedelta(seconds=25)  # after the last start, on a loaded machine too
    ids = _start_wave(definition, due)
    assert datetime.now(timezone.utc) < due, "the starts took too long for this test's wave"
    while datetime.now(timezone.utc) <= due:
        time.sleep(0.2)
    ctx.config.update(RQ_ASYNC=True, TIMER_HANDOUT_MIN=50, TIMER_BATCH=100)
    try:
        handed = []
        real = timers.timer_enqueuer()

        def lose_the_first_batch(batch):
            handed.append(batch)
            if len(handed) > 1:
                real(batch)

        monkeypatch.setattr(timers, "timer_enqueuer", lambda: lose_the_first_batch)
        assert timers.fire_or_hand_out() >= WAVE
        assert len(handed) >= WAVE // 100
        _workers(ctx, 2)
        db.session.rollback()
        lost = set(handed[0])
        waiting = set(db.session.execute(select(Timer.instance_id).where(Timer.instance_id.in_(ids))).scalars())
        assert waiting == lost  # the first batch's worker never ran: its timers wait for the lease to end
        db.session.rollback()
        monkeypatch.setattr(timers, "timer_enqueuer", lambda: real)
        monkeypatch.setattr(timers, "utcnow", lambda: datetime.now(timezone.utc) + timers.HANDOUT_LEASE)
        assert timers.fire_or_hand_out() == len(lost)  # lease over: handed out again (or fired here if few)
        _workers(ctx, 2)
    finally:
        ctx.config.update(RQ_ASYNC=False)
    db.session.rollback()
    fired = dict(db.session.execute(
        select(HistoryEvent.instance_id, func.count()).where(HistoryEvent.instance_id.in_(ids),
                                                             HistoryEvent.event_type == "timer_fired")
        .group_by(HistoryEvent.instance_id)).all())
    assert len(fired) == WAVE and set(fired.values()) == {1}
    assert db.session.execute(select(func.count()).select_from(OpenTask).where(
        OpenTask.instance_id.in_(ids), OpenTask.spec_id == "next")).scalar() == WAVE
    assert db.session.execute(select(func.count()).select_from(Timer).where(Timer.instance_id.in_(ids))).scalar() == 0
