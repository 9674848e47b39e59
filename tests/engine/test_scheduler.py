"""The scheduler piece as a real OS process: fires timers, one leader at a time, timers survive restarts."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from app import engine
from app.engine.models import HistoryEvent
from app.platform.extensions import db
from app.platform.queue import redis_connection
from app.scheduler import Leadership
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one, open_tasks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _scheduler(ctx, key: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=ctx.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=ctx.config["REDIS_URL"],
               SCHEDULER_LEADER_KEY=key, SCHEDULER_TICK_S="0.1", VAR_DIR=str(ctx.config["VAR_DIR"]))
    return subprocess.Popen([sys.executable, "-m", "app.scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for_task(instance_id: int, spec_id: str, timeout: float = 90) -> bool:  # a loaded machine starts slowly
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [t.spec_id for t in open_tasks(instance_id)]
        db.session.rollback()  # end the read: on SQLite an open transaction holds the file's write lock
        if found == [spec_id]:
            return True
        time.sleep(0.1)
    return False


def test_leadership_is_exclusive(ctx, unique):
    r = redis_connection()
    one, two = Leadership(r, ttl_ms=500, key=f"lead:{unique}"), Leadership(r, ttl_ms=500, key=f"lead:{unique}")
    assert one.hold() and not two.hold() and one.hold()
    time.sleep(0.6)  # the leader stopped renewing: a follower takes over
    assert two.hold() and not one.hold()
    two.release()
    assert one.hold()


def test_scheduler_fires_timers_once_and_survives_restarts(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.catch("wait", b.timer("timeDuration", '"PT1S"')), b.user("next"),
                    b.end(), b.chain("start", "wait", "next", "end"))
    definition = deploy_one(xml)
    key = f"lead:{unique}"
    schedulers = [_scheduler(ctx, key), _scheduler(ctx, key)]  # a leader and a hot standby
    try:
        first = engine.start_instance(definition)
        assert _wait_for_task(first, "next"), "the timer did not fire"
        for proc in schedulers:  # every scheduler dies, hard
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        second = engine.start_instance(definition)
        time.sleep(1.2)  # due while nothing runs
        assert open_tasks(second) == []
        db.session.rollback()
        r = redis_connection()
        r.delete(key)  # the dead leader's lock would expire by itself after its TTL; skip the wait
        schedulers = [_scheduler(ctx, key)]
        assert _wait_for_task(second, "next"), "the timer did not fire after the restart"
    finally:
        for proc in schedulers:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
    fired = db.session.execute(select(HistoryEvent.instance_id, func.count()).where(
        HistoryEvent.instance_id.in_((first, second)), HistoryEvent.event_type == "timer_fired")
        .group_by(HistoryEvent.instance_id)).all()
    assert dict(fired) == {first: 1, second: 1}
