"""/healthz/pieces tells a killed worker or scheduler from a live one within seconds (issue 8 point 16):
real worker and scheduler processes, killed with SIGKILL."""
from __future__ import annotations

import multiprocessing
import os
import signal
import time

from app import engine
from app.platform.queue import redis_connection
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one
from tests.engine.test_scheduler import _scheduler
from tests.procs import app_settings, run_worker

SPAWN = multiprocessing.get_context("spawn")


def _pieces(client) -> tuple[int, dict]:
    resp = client.get("/healthz/pieces")
    return resp.status_code, resp.get_json()


def _wait(client, condition, within_s: float) -> tuple[float | None, dict]:
    """Poll /healthz/pieces until `condition(report)`; seconds it took (None if it never held) and the report."""
    t0 = time.monotonic()
    report: dict = {}
    while time.monotonic() - t0 < within_s:
        _status, report = _pieces(client)
        if condition(report):
            return time.monotonic() - t0, report
        time.sleep(0.2)
    return None, report


def test_killed_worker_and_scheduler_show_dead_within_seconds(ctx, client, unique):
    key = f"lead:{unique}"
    ctx.config["SCHEDULER_LEADER_KEY"] = key
    stale = ctx.config["HEALTH_STALE_AFTER_S"]
    worker = SPAWN.Process(target=run_worker, args=(app_settings(ctx), None, False))
    worker.start()
    scheduler = _scheduler(ctx, key)
    try:
        took, report = _wait(client, lambda r: r.get("workers") == 1 and r.get("scheduler") == "alive", 60)
        assert took is not None, report
        assert _pieces(client)[0] == 200 and report["status"] == "ok"
        os.kill(worker.pid, signal.SIGKILL)
        scheduler.send_signal(signal.SIGKILL)
        worker.join()
        scheduler.wait()
        took, report = _wait(client, lambda r: r.get("workers") == 0 and r.get("scheduler") == "dead", 30)
        assert took is not None and took <= stale + 2, (took, report)
        assert _pieces(client)[0] == 503
    finally:
        for proc in (worker,):
            if proc.is_alive():
                proc.kill()
        if scheduler.poll() is None:
            scheduler.kill()
        redis_connection().delete(key)
        ctx.config["SCHEDULER_LEADER_KEY"] = "bpm:scheduler:leader"


def test_worker_busy_with_a_long_job_stays_alive(ctx, client, unique):
    """A job running longer than HEALTH_STALE_AFTER_S: the worker's heartbeat thread keeps beating."""
    stale = ctx.config["HEALTH_STALE_AFTER_S"]
    prefix = f"busy:{unique}"
    xml = b.process(f"p_{unique}", b.start(),
                    b.service("effect", "test_side_effect", {"prefix": f'"{prefix}"', "sleep": str(stale + 3)}),
                    b.end(), b.chain("start", "effect", "end"))
    definition = deploy_one(xml)
    ctx.config["RQ_ASYNC"] = True
    worker = SPAWN.Process(target=run_worker, args=(app_settings(ctx), None, False))
    try:
        engine.start_instance(definition)
        worker.start()
        r = redis_connection()
        deadline = time.time() + 60
        while r.llen(f"{prefix}:started") < 1 and time.time() < deadline:
            time.sleep(0.1)
        assert r.llen(f"{prefix}:started") == 1, "the job never started"
        seen = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < stale + 2:  # the whole job, and longer than the staleness limit
            seen.append(_pieces(client)[1]["workers"])
            time.sleep(0.25)
        assert set(seen) == {1}
    finally:
        ctx.config["RQ_ASYNC"] = False
        if worker.is_alive():
            os.kill(worker.pid, signal.SIGTERM)
            worker.join(timeout=30)
