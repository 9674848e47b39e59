"""The unit of work: one transaction per use case, committed in one place (cosmicpython's shape).

    with unit_of_work() as uow:
        ...                 # uow.execute / uow.add / uow.get: the SQLAlchemy session's methods
        uow.commit()        # the one commit; leaving the block without it rolls everything back

Nested `unit_of_work()` blocks join the outermost one, so a service can start a process (the engine opens
its own unit of work) inside its own transaction: an inner `commit()` says "my part is done", and only the
outermost block's `commit()` writes anything; an error anywhere, or an outermost block left without its
commit, rolls back every part.
Callbacks registered with `after_commit` run only once the outermost block has committed (e.g. enqueueing
jobs from the outbox).

`read_only()` is for reads that must end before slow work (LibreOffice, signing): the transaction, and on
SQLite its lock, is released when the block ends.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from app.platform.extensions import db

_DEPTH = "uow_depth"
_CALLBACKS = "after_commit"


class UnitOfWorkError(RuntimeError):
    """A unit of work used where it cannot work (read_only() inside one)."""


class UnitOfWork:
    """One use case's transaction. Attribute access reaches the session (`uow.execute(...)`)."""

    def __init__(self, session: Session, depth: int):
        self.session = session
        self.depth = depth
        self.committed = False

    def commit(self) -> None:
        self.committed = True
        if self.depth > 0:
            return  # the outermost block commits
        self.session.commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    uow = UnitOfWork(session, depth)
    try:
        yield uow
    except BaseException:
        if depth == 0:
            _discard(session)
        raise
    finally:
        session.info[_DEPTH] = depth
    if depth > 0:
        return
    if not uow.committed:
        _discard(session)
        return
    for callback in session.info.pop(_CALLBACKS, []):
        callback()


def _discard(session: Session) -> None:
    session.rollback()
    session.info.pop(_CALLBACKS, None)


@contextmanager
def read_only() -> Iterator[Session]:
    """A read whose transaction ends with the block (nothing in it is ever written)."""
    session = db.session()
    if session.info.get(_DEPTH, 0):
        raise UnitOfWorkError("read_only() inside a unit of work would end that unit's transaction")
    try:
        yield session
    finally:
        session.rollback()


def after_commit(callback: Callable[[], None]) -> None:
    session = db.session()
    if session.info.get(_DEPTH, 0) == 0:
        callback()
    else:
        session.info.setdefault(_CALLBACKS, []).append(callback)
