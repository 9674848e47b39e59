"""The unit of work: one transaction per use case, committed in one place.

Nested `unit_of_work()` blocks join the outermost one, so a service can start a process (which uses the
engine's own unit of work) inside its own transaction. Callbacks registered with `after_commit` run only
once the outermost block has committed (e.g. enqueueing jobs from the outbox).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from app.platform.extensions import db


@contextmanager
def unit_of_work() -> Iterator[Session]:
    session = db.session()
    depth = session.info.get("uow_depth", 0)
    session.info["uow_depth"] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
            session.info.pop("after_commit", None)
        raise
    finally:
        session.info["uow_depth"] = depth
    if depth == 0:
        for callback in session.info.pop("after_commit", []):
            callback()


def after_commit(callback: Callable[[], None]) -> None:
    session = db.session()
    if session.info.get("uow_depth", 0) == 0:
        callback()
    else:
        session.info.setdefault("after_commit", []).append(callback)
