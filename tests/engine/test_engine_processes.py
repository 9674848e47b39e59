"""Several OS processes on the same instances, and a worker killed in the middle of a job."""
from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from sqlalchemy import func, select

from app import engine
from app.engine import outbox
from app.engine.models import HistoryEvent, Job, OpenTask, ProcessInstance
from app.platform.extensions import db
from app.platform.queue import redis_connection
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one
from tests.conftest import drop_app, make_app
from tests.procs import app_settings, complete_everything, drain_queue, run_worker

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def ctx(app, tmp_path, redis_url):
    """An app of its own per test (fresh database and queue): the sweep and the workers of a test see only its
    own jobs, not the ones other tests left in the session's database and queue."""
    fresh, schema = make_app(app.config["BACKEND"], tmp_path, redis_url)
    fresh.config["BACKEND"] = app.config["BACKEND"]
    with fresh.app_context():
        yield fresh
        db.session.remove()
    drop_app(fresh, schema)


def _parallel_process(pid: str) -> str:
    return b.process(
        pid, b.start(), b.parallel("split"), b.user("ua"), b.user("ub"),
        b.service("sc", "test_add", {"a": "n", "b": "1"}, result="c_out"), b.parallel("join"), b.end(),
        b.chain("start", "split"), b.flow("fa", "split", "ua"), b.flow("fb", "split", "ub"),
        b.flow("fc", "split", "sc"), b.flow("fa2", "ua", "join"), b.flow("fb2", "ub", "join"),
        b.flow("fc2", "sc", "join"), b.chain("join", "end", prefix="j"))


def test_processes_racing_on_100_instances(ctx, unique, tmp_path):
    definition = deploy_one(_parallel_process(f"p_{unique}"))
    ctx.config["RQ_ASYNC"] = True  # jobs go to Redis for the real workers
    try:
        ids = [engine.start_instance(definition, {"n": i}, business_key=f"K{i}") for i in range(100)]
    finally:
        ctx.config["RQ_ASYNC"] = False
    settings = app_settings(ctx)
    results = [tmp_path / f"r{i}" for i in range(3)]
    procs = [SPAWN.Process(target=complete_everything, args=(settings, ids, str(results[i]), i)) for i in range(3)]
    procs += [SPAWN.Process(target=run_worker, args=(settings,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    outbox.sweep()  # a job whose completion lost a race is re-driven; none should be left
    done = sum(int(r.read_text().split()[0]) for r in results)
    conflicts = sum(int(r.read_text().split()[1]) for r in results)
    assert done == 200  # every user task completed exactly once across the three racing processes
    db.session.expire_all()
    statuses = db.session.execute(select(ProcessInstance.status, func.count()).where(ProcessInstance.id.in_(ids))
                                  .group_by(ProcessInstance.status)).all()
    assert dict(statuses) == {"completed": 100}
    assert db.session.execute(select(func.count()).select_from(OpenTask)
                              .where(OpenTask.instance_id.in_(ids))).scalar() == 0
    per_instance = db.session.execute(
        select(HistoryEvent.instance_id, HistoryEvent.event_type, HistoryEvent.task_spec_id, func.count())
        .where(HistoryEvent.instance_id.in_(ids),
               HistoryEvent.event_type.in_(("task_completed", "job_succeeded", "instance_completed")))
        .group_by(HistoryEvent.instance_id, HistoryEvent.event_type, HistoryEvent.task_spec_id)).all()
    assert all(row[3] == 1 for row in per_instance)
    assert len(per_instance) == 100 * 4  # a, b, c and the instance itself, once each
    for i, instance_id in enumerate(ids):
        data = engine.get_state(instance_id).data
        # no lost update: all three branches' writes survived the races
        assert data["c_out"]["sum"] == i + 1 and "token_ua" in data and "token_ub" in data
    jobs_done = db.session.execute(select(Job.status, func.count()).where(Job.instance_id.in_(ids))
                                   .group_by(Job.status)).all()
    assert dict(jobs_done) == {"succeeded": 100}
    assert conflicts >= 0


def _side_effect_process(pid: str, prefix: str, sleep_s: float) -> str:
    return b.process(pid, b.start(),
                     b.service("effect", "test_side_effect", {"prefix": f'"{prefix}"', "sleep": str(sleep_s)},
                               result="out"),
                     b.user("after"), b.end(), b.chain("start", "effect", "after", "end"))


def _sweep_until_relayed(within_s: float) -> float | None:
    """Run the scheduler's sweep every 0.1 s; seconds until it relayed a job, None if it never did."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < within_s:
        if outbox.sweep() > 0:
            return time.monotonic() - t0
        time.sleep(0.1)
    return None


def test_job_of_a_killed_worker_runs_again_within_seconds(ctx, unique):
    """The worker is SIGKILLed in the middle of the job: its lease (1 s here) is no longer renewed, so the
    sweep hands the job to another worker within seconds (not after JOB_TIMEOUT_S), the job runs again and
    its side effect still happens once."""
    prefix = f"crash:{unique}"
    definition = deploy_one(_side_effect_process(f"p_{unique}", prefix, 3))
    overrides = {"JOB_LEASE_S": 1.0}
    ctx.config.update(RQ_ASYNC=True, **overrides)
    try:
        instance_id = engine.start_instance(definition)
        settings = app_settings(ctx)
        worker = SPAWN.Process(target=run_worker, args=(settings, overrides, False))
        worker.start()
        r = redis_connection()
        deadline = time.time() + 60
        while r.llen(f"{prefix}:started") < 1 and time.time() < deadline:
            time.sleep(0.05)
        assert r.llen(f"{prefix}:started") == 1, "the job never started"
        os.kill(worker.pid, signal.SIGKILL)  # in the middle of the job, after its side effect
        worker.join()
        assert db.session.execute(select(Job.status).where(Job.instance_id == instance_id)).scalar() == "running"
        db.session.rollback()
        # relayed by its lapsed lease, long before JOB_TIMEOUT_S (300 s) would (a loaded machine may take a while)
        assert _sweep_until_relayed(within_s=60) is not None, "the job was not handed out again"
        drain_queue(ctx, overrides, timeout=120)  # another worker
    finally:
        ctx.config.update(RQ_ASYNC=False, JOB_LEASE_S=10.0)
    db.session.expire_all()
    job = db.session.execute(select(Job).where(Job.instance_id == instance_id)).scalar_one()
    assert job.status == "succeeded" and job.attempts == 2
    assert int(r.get(f"{prefix}:runs")) == 2  # it ran again...
    assert int(r.get(f"{prefix}:effects")) == 1  # ...and its side effect happened once
    state = engine.get_state(instance_id)
    assert state.data["out"] == {"attempt": 2} and [t["spec_id"] for t in state.ready_tasks] == ["after"]


def test_job_slower_than_its_lease_runs_once_on_a_live_worker(ctx, unique):
    """A job taking 3x its lease: the worker renews the lease while it runs, so the sweep (run all along,
    as the scheduler does) never hands it to anyone else. The lease leaves room for a loaded machine's stalls."""
    prefix = f"slow:{unique}"
    definition = deploy_one(_side_effect_process(f"p_{unique}", prefix, 12))
    overrides = {"JOB_LEASE_S": 4.0}
    ctx.config.update(RQ_ASYNC=True, **overrides)
    try:
        instance_id = engine.start_instance(definition)
        worker = SPAWN.Process(target=run_worker, args=(app_settings(ctx), overrides, True))
        worker.start()
        relayed = 0
        while worker.is_alive():
            relayed += outbox.sweep()
            time.sleep(0.1)
        assert worker.exitcode == 0
    finally:
        ctx.config.update(RQ_ASYNC=False, JOB_LEASE_S=10.0)
    assert relayed == 0
    db.session.expire_all()
    job = db.session.execute(select(Job).where(Job.instance_id == instance_id)).scalar_one()
    assert job.status == "succeeded" and job.attempts == 1
    assert int(redis_connection().get(f"{prefix}:runs")) == 1
