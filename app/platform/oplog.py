"""The operation log (操作日志): every state-changing request, and every export of personal data, with who,
what, when, from where and the result. Append-only; admins read it at /admin/oplog (app/identity/routes.py)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, request
from sqlalchemy import Integer, String, insert, select, text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import RequestEntityTooLarge

from app.platform.actor import current_actor
from app.platform.db_types import UTCDateTime, utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PAGE_SIZE = 100


class OperationLog(db.Model):
    """操作日志: every state-changing request, who/what/when/where/result. Append-only."""

    __tablename__ = "operation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str | None] = mapped_column(String(80))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    endpoint: Mapped[str | None] = mapped_column(String(120))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))


def log_request(response):
    """after_request: log a state-changing request with its outcome."""
    if request.method not in STATE_CHANGING or request.endpoint in (None, "static"):
        return response
    status = response.status_code
    outcome = "ok" if status < 400 else "denied" if status in (401, 403) else "error" if status >= 500 else "refused"
    actor = current_actor()
    user_id = actor.id if actor else None
    username = actor.username if actor else _posted_username()
    session = db.session
    try:
        # The request's own work is committed (or failed) by now; whatever is left open is discarded, so
        # the log entry is written in a transaction of its own whatever happened to the request's.
        session.rollback()
        if session.get_bind().dialect.name == "postgresql":
            # An entry lost in the last moments before a database crash is the price of not waiting for a
            # WAL flush on every state-changing request (1.5-3 ms here); the request's own work was
            # committed durably before this point.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        session.execute(insert(OperationLog.__table__).values(
            user_id=user_id, username=(username or "")[:80] or None, method=request.method,
            path=request.full_path.rstrip("?")[:500], endpoint=request.endpoint,
            remote_addr=request.remote_addr, status_code=status, outcome=outcome))
        session.commit()
    except Exception:  # noqa: BLE001 - the log must never turn a good answer into an error page
        session.rollback()
        current_app.logger.exception("operation log write failed")
    return response


def _posted_username() -> str | None:
    """The user name a sign-in attempt gave; none from a body refused for its size (it is never read)."""
    try:
        return request.form.get("username") or None
    except RequestEntityTooLarge:
        return None


def record_export(user_id: int, username: str, path: str, endpoint: str, remote_addr: str | None) -> None:
    """Exports of personal data go to the operation log like state changes do."""
    with unit_of_work() as session:
        session.add(OperationLog(user_id=user_id, username=username[:80], method="GET", path=path[:500],
                                 endpoint=endpoint, remote_addr=remote_addr, status_code=200,
                                 outcome="export"))
        session.commit()


def entries(page: int, username: str | None = None) -> list[OperationLog]:
    query = select(OperationLog).order_by(OperationLog.id.desc())
    if username:
        query = query.where(OperationLog.username == username)
    return list(db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars())
