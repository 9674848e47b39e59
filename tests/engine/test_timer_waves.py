"""A wave of timers due at the same moment (every archive's yearly update on one morning): the scheduler hands
them to two real worker processes in batches; every timer fires exactly once, and a batch whose worker never
ran it, or whose worker was killed while running it, is handed out again once its lease ends (none is lost).

The wave here is 3,000 timers (the CI's time budget); bench/archive.py fires the full 120,000 with two workers
and checks the same exactly-once."""
from __future__ import annotations

import multiprocessing
import time
from datetime import datetime, timedelta, timezone

import pytest
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
WAVE = 3000
BATCH = 100


def _start_wave(definition, due: datetime) -> list[int]:
    return engine.start_instances(definition, [engine.NewInstance({"due": due.isoformat()}) for _ in range(WAVE)])


def _fired(ids: list[int]) -> int:
    count = db.session.execute(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.instance_id.in_(ids), HistoryEvent.event_type == "timer_fired")).scalar()
    db.session.rollback()
    return count


def _workers(ctx, n: int, kill_one_after: tuple[list[int], int] | None = None) -> int | None:
    """Run n real workers until the queue is empty; with `kill_one_after` (ids, k), SIGKILL the first once k
    of the ids' timers have fired. Returns how many had fired when it was killed."""
    procs = [SPAWN.Process(target=run_worker, args=(app_settings(ctx), None, True)) for _ in range(n)]
    for p in procs:
        p.start()
    killed_at = None
    if kill_one_after is not None:
        ids, k = kill_one_after
        while (fired := _fired(ids)) < k and procs[0].is_alive():
            time.sleep(0.02)
        procs[0].kill()
        procs[0].join(timeout=60)
        killed_at = fired
        procs = procs[1:]
    for p in procs:
        p.join(timeout=600)
        assert p.exitcode == 0
    return killed_at


@pytest.mark.one_backend  # the SQLite claim is checked by the next test; the wave is long
def test_a_wave_of_due_timers_is_fired_once_by_two_workers_and_none_is_lost(ctx, unique, monkeypatch):
    xml = b.process(f"wave_{unique}", b.start(), b.catch("wait", b.timer("timeDate", "due")), b.user("next"),
                    b.end(), b.chain("start", "wait", "next", "end"))
    definition = deploy_one(xml)
    due = datetime.now(timezone.utc) + timedelta(seconds=15)  # after the last start (batched: ~4 s), on a loaded machine too
    ids = _start_wave(definition, due)
    assert datetime.now(timezone.utc) < due, "the starts took too long for this test's wave"
    while datetime.now(timezone.utc) <= due:
        time.sleep(0.2)
    ctx.config.update(RQ_ASYNC=True, TIMER_HANDOUT_MIN=50, TIMER_BATCH=BATCH)
    try:
        handed = []
        real = timers.timer_enqueuer()

        def lose_the_first_batch(batch):
            handed.append(batch)
            if len(handed) > 1:
                real(batch)

        monkeypatch.setattr(timers, "timer_enqueuer", lambda: lose_the_first_batch)
        assert timers.fire_or_hand_out() >= WAVE
        assert len(handed) >= WAVE // BATCH
        # one worker is killed mid-wave (SIGKILL: a batch it was running is neither committed nor finished)
        killed_at = _workers(ctx, 2, kill_one_after=(ids, 3 * BATCH))
        assert killed_at < WAVE - 2 * BATCH, "the wave was over before the kill"
        db.session.rollback()
        lost = set(handed[0])
        waiting = set(db.session.execute(select(Timer.instance_id).where(Timer.instance_id.in_(ids))).scalars())
        # the first batch's worker never ran: its timers wait for the lease to end; so do those of the batch
        # the killed worker was running, if it was running one (at most one batch: it works one at a time)
        assert lost <= waiting and len(waiting - lost) <= BATCH
        assert any(set(batch) == waiting - lost for batch in handed) or waiting == lost
        db.session.rollback()
        monkeypatch.setattr(timers, "timer_enqueuer", lambda: real)
        monkeypatch.setattr(timers, "utcnow", lambda: datetime.now(timezone.utc) + timers.HANDOUT_LEASE)
        assert timers.fire_or_hand_out() == len(waiting)  # lease over: handed out again (or fired here if few)
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


def test_a_batch_claimed_by_another_scheduler_meanwhile_is_not_handed_out_twice(ctx, unique, monkeypatch):
    xml = b.process(f"claim_{unique}", b.start(), b.catch("wait", b.timer("timeDate", "due")), b.user("next"),
                    b.end(), b.chain("start", "wait", "next", "end"))
    due = datetime.now(timezone.utc) + timedelta(seconds=2)
    ids = engine.start_instances(deploy_one(xml), [engine.NewInstance({"due": due.isoformat()}) for _ in range(6)])
    while datetime.now(timezone.utc) <= due:
        time.sleep(0.1)
    first, second = [], []
    db.session.rollback()
    seen = timers._due_instances(100)  # what a leader read before losing its lease
    assert set(ids) <= set(seen)
    assert timers.hand_out(first.append, batch=4) >= 6  # the new leader claims them all
    monkeypatch.setattr(timers, "_due_instances", lambda limit: seen)
    assert timers.hand_out(second.append, batch=4) == 0 and second == []  # the old one claims none of them
    assert set(ids) <= {i for batch in first for i in batch}
    with unit_of_work() as uow:  # the batches are leased: their timers wait for the workers or the lease's end
        assert set(uow.execute(select(Timer.instance_id).where(Timer.instance_id.in_(ids))).scalars()) == set(ids)
        uow.commit()
