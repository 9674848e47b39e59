"""Demo data: every registered loader (the directory's first, then each area's after the ones it needs), with
the service tasks of their processes run at once (a person's step at a controlled time:
app.processes.demo_work)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

from app.platform.areas import DemoAccount, registry


def load_demo_data() -> list[DemoAccount]:
    """Run every demo loader in order (each is idempotent); the demo accounts, in loading order."""
    with jobs_at_once():
        for loader in registry().demo_loaders():
            loader.load()
    return registry().demo_accounts()


@contextmanager
def jobs_at_once() -> Iterator[None]:
    """Service tasks of the demo's processes run in this process as they come (no worker runs yet when
    `make run` loads the demo)."""
    before = current_app.config.get("RQ_ASYNC", True)
    current_app.config["RQ_ASYNC"] = False
    try:
        yield
    finally:
        current_app.config["RQ_ASYNC"] = before

