"""Sending notifications on the configured channels: an RQ job per outbox row, retried with backoff.

A row moves pending -> queued (handed to RQ after the commit that recorded it) -> sending (a worker took it)
-> sent | retry | failed. The worker takes a row with one conditional UPDATE, so a job that is delivered
twice, or re-queued by the sweep while it runs, sends once; a failed attempt leaves the row `retry` with its
next attempt time, and the sweep hands it to a worker again when that time comes. A worker that died while
sending leaves `sending` behind; after DELIVERY_LEASE the sweep lets it go out again, with the same
Message-ID (mail systems show such a copy once).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, or_, select, update

from app.notifications.channels import OutgoingMessage, PermanentFailure, Recipient, TemporaryFailure, channel
from app.notifications.models import Delivery, Notification
from app.notifications.render import render
from app.platform.db_types import utcnow
from app.platform.uow import unit_of_work

log = logging.getLogger(__name__)
DELIVERY = Delivery.__table__
NOTIFICATION = Notification.__table__
JOB = "tasks.notifications.deliver"
DELIVERY_LEASE = timedelta(minutes=15)
STUCK_QUEUED = timedelta(minutes=10)
NOT_QUEUED_GRACE = timedelta(seconds=30)


def enqueue(delivery_ids: list[int]) -> None:
    """Hand outbox rows to the workers (after the commit that wrote them). Rows the queue does not take
    (Redis unreachable) stay pending for the sweep."""
    if not delivery_ids:
        return
    from app.platform.queue import job_queue

    with unit_of_work() as session:
        session.execute(update(DELIVERY).where(DELIVERY.c.id.in_(delivery_ids), DELIVERY.c.status == "pending")
                        .values(status="queued", updated_at=utcnow()))
        session.commit()
    try:
        queue = job_queue()
        for delivery_id in delivery_ids:
            queue.enqueue(JOB, delivery_id, job_id=f"notification-delivery-{delivery_id}",
                          job_timeout=int(current_app.config.get("MAIL_TIMEOUT_S", 30)) * 3, result_ttl=600,
                          failure_ttl=24 * 3600)
    except Exception:  # noqa: BLE001 - the sweep relays what was not queued
        log.warning("notification deliveries %s not queued; the sweep will retry", delivery_ids, exc_info=True)
        with unit_of_work() as session:
            session.execute(update(DELIVERY).where(DELIVERY.c.id.in_(delivery_ids), DELIVERY.c.status == "queued")
                            .values(status="pending", updated_at=utcnow()))
            session.commit()


def deliver(delivery_id: int) -> str:
    """Send one outbox row on its channel (the RQ job's body). Returns what happened."""
    now = utcnow()
    with unit_of_work() as session:
        taken = session.execute(
            update(DELIVERY).where(DELIVERY.c.id == delivery_id, or_(
                DELIVERY.c.status.in_(("pending", "queued")),
                and_(DELIVERY.c.status == "retry", DELIVERY.c.next_attempt_at <= now)))
            .values(status="sending", attempts=DELIVERY.c.attempts + 1, updated_at=now)
            .returning(DELIVERY.c.attempts, DELIVERY.c.channel, DELIVERY.c.address, DELIVERY.c.notification_id)
        ).one_or_none()
        if taken is None:
            return "not due"  # sent already, being sent, or waiting for its next attempt
        message = _message(session, delivery_id, taken)
        session.commit()
    try:
        with force_locale(message.recipient.locale):
            channel(taken.channel).send(message)
    except PermanentFailure as err:
        return _finish(delivery_id, "failed", str(err))
    except Exception as err:  # noqa: BLE001 - TemporaryFailure, and anything unexpected: try again later
        if not isinstance(err, TemporaryFailure):
            log.exception("notification delivery %s failed unexpectedly", delivery_id)
        if taken.attempts >= current_app.config.get("NOTIFY_MAX_ATTEMPTS", 6):
            return _finish(delivery_id, "failed", f"{type(err).__name__}: {err}")
        backoff = current_app.config.get("NOTIFY_BACKOFF_BASE_S", 30.0) * 2 ** (taken.attempts - 1)
        return _finish(delivery_id, "retry", f"{type(err).__name__}: {err}",
                       next_attempt_at=utcnow() + timedelta(seconds=min(backoff, 6 * 3600)))
    return _finish(delivery_id, "sent", None, sent_at=utcnow())


def _message(session, delivery_id: int, taken) -> OutgoingMessage:
    from app.identity.models import User

    row = session.execute(
        select(NOTIFICATION.c.title, NOTIFICATION.c.body, NOTIFICATION.c.params, NOTIFICATION.c.link,
               User.id, User.display_name, User.email, User.locale)
        .join(User, User.id == NOTIFICATION.c.user_id).where(NOTIFICATION.c.id == taken.notification_id)).one()
    locale = row.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    title, body = render(row.title, row.body, row.params, locale)
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return OutgoingMessage(delivery_id, taken.address, Recipient(row.id, row.display_name, row.email, locale),
                           title, body, f"{base}{row.link}" if row.link else None)


def _finish(delivery_id: int, status: str, error: str | None, **values) -> str:
    with unit_of_work() as session:
        session.execute(update(DELIVERY).where(DELIVERY.c.id == delivery_id, DELIVERY.c.status == "sending")
                        .values(status=status, last_error=error[:2000] if error else None, updated_at=utcnow(),
                                **values))
        session.commit()
    if status != "sent":
        log.warning("notification delivery %s: %s (%s)", delivery_id, status, error)
    return status


def sweep(limit: int = 500) -> int:
    """Hand to the workers again what is due: retries whose time has come, rows never queued (a crash right
    after the commit, Redis down), queued rows the queue lost, and rows whose worker died while sending."""
    now = utcnow()
    with unit_of_work() as session:
        ids = session.execute(select(DELIVERY.c.id).where(or_(
            and_(DELIVERY.c.status == "retry", DELIVERY.c.next_attempt_at <= now),
            and_(DELIVERY.c.status == "pending", DELIVERY.c.updated_at <= now - NOT_QUEUED_GRACE),
            and_(DELIVERY.c.status == "queued", DELIVERY.c.updated_at <= now - STUCK_QUEUED),
            and_(DELIVERY.c.status == "sending", DELIVERY.c.updated_at <= now - DELIVERY_LEASE),
        )).order_by(DELIVERY.c.next_attempt_at).limit(limit)).scalars().all()
        if ids:
            session.execute(update(DELIVERY).where(DELIVERY.c.id.in_(ids)).values(
                status="pending", next_attempt_at=now, updated_at=now))
        session.commit()
    enqueue(list(ids))
    return len(ids)
