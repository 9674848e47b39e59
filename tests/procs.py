"""Entry points for the OS processes that multi-process tests start (spawned, so each is a fresh Python), and
helpers that start them."""
from __future__ import annotations

import multiprocessing
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def build_config(database_url: str, redis_url: str, queue: str, var_dir: str, **overrides):
    from config.settings import TestConfig

    attrs = dict(
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 60}} if database_url.startswith("sqlite") else {},
        REDIS_URL=redis_url, RQ_QUEUE=queue, RQ_ASYNC=False,
        VAR_DIR=Path(var_dir),
    )
    attrs.update(overrides)
    return type("ProcConfig", (TestConfig,), attrs)


def app_settings(app) -> dict:
    """What a child process needs to build an app on the same database, Redis and queue."""
    keys = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RQ_QUEUE", "VAR_DIR")
    database_url, redis_url, queue, var_dir = (app.config[k] for k in keys)
    return {"database_url": database_url, "redis_url": redis_url, "queue": queue, "var_dir": str(var_dir)}


def _app(settings: dict, **overrides):
    from app import create_app

    return create_app(build_config(**settings, **overrides))


def run_worker(settings: dict, overrides: dict | None = None, burst: bool = True) -> None:
    """A real worker (the platform's own, app/worker.py) on the test queue."""
    from app.worker import run

    run(_app(settings, RQ_ASYNC=True, **(overrides or {})), burst=burst)


def drain_queue(app, overrides: dict | None = None, timeout: float = 300) -> None:
    """One real worker, in a process of its own, runs the jobs on the app's queue until it is empty and exits
    cleanly."""
    worker = multiprocessing.get_context("spawn").Process(target=run_worker,
                                                          args=(app_settings(app), overrides, True))
    worker.start()
    worker.join(timeout=timeout)
    if worker.is_alive():
        worker.kill()
        worker.join()
    assert worker.exitcode == 0, f"the worker did not finish the queue (exit code {worker.exitcode})"


@contextmanager
def jobs_for_a_worker(app, overrides: dict | None = None, timeout: float = 300) -> Iterator[None]:
    """Jobs asked for inside the block are queued (RQ_ASYNC on), not run in the request; at its end one real
    worker runs them (`drain_queue`). RQ_ASYNC is restored either way."""
    was = app.config["RQ_ASYNC"]
    app.config["RQ_ASYNC"] = True
    try:
        yield
        drain_queue(app, overrides, timeout)
    finally:
        app.config["RQ_ASYNC"] = was


def complete_everything(settings: dict, instance_ids: list[int], result_file: str, seed: int) -> None:
    """Try to complete every open task of the given instances, in random order, racing other processes."""
    from sqlalchemy import select

    from app import engine
    from app.engine.models import OpenTask
    from app.platform.extensions import db

    app = _app(settings, RQ_ASYNC=True)
    done, conflicts = 0, 0
    rng = random.Random(seed)
    with app.app_context():
        for _round in range(50):
            rows = db.session.execute(select(OpenTask.task_guid, OpenTask.spec_id)
                                      .where(OpenTask.instance_id.in_(instance_ids))).all()
            db.session.rollback()
            if not rows:
                break
            rng.shuffle(rows)
            for guid, spec_id in rows:
                try:
                    engine.complete_task(guid, {f"by_{spec_id}": seed, f"token_{spec_id}": uuid.uuid4().hex}, None)
                    done += 1
                except engine.Conflict:
                    conflicts += 1
                finally:
                    db.session.remove()
    Path(result_file).write_text(f"{done} {conflicts}")
