"""Use cases of the notification centre: notify people, mark notifications read.

`notify(...)` is the one call an area makes. It records one in-app notification per recipient in the
caller's unit of work, and an outbox row per further channel (e-mail...) that configuration routes the kind
to for the recipient's roles. After the commit, workers send the outbox rows (app/notifications/delivery.py)
and every recipient's open pages are told (live event `notification` on their user channel). Nothing is
recorded, sent or announced when the caller's transaction rolls back.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.notifications import delivery
from app.notifications.channels import Recipient, channel, routing
from app.notifications.kinds import get_kind
from app.notifications.models import Delivery, Notification
from app.notifications.render import render
from app.platform import live
from app.platform.db_inserts import insert_ignoring_duplicates
from app.platform.db_types import utcnow
from app.platform.uow import after_commit, unit_of_work

NOTIFICATION = Notification.__table__
DELIVERY = Delivery.__table__


class NotificationNotFound(Exception):
    """No such notification among the user's own."""


def notify(recipients: Iterable[int | None], kind: str, *, params: dict | None = None, link: str | None = None,
           key: str | None = None) -> int:
    """Tell these users about something of `kind` (registered in app/notifications/kinds.py), with the kind's
    text filled in from `params`, pointing at `link` (a path in this site). `key` names the event: a user is
    notified once per key, so a job that runs twice notifies once. Returns how many notifications were
    recorded (0: nobody new to tell, e.g. inactive users or already notified)."""
    spec = get_kind(kind)
    user_ids = sorted({int(r) for r in recipients if r is not None})
    if not user_ids:
        return 0
    with unit_of_work() as session:
        people = _recipients(session, user_ids)
        now = utcnow()
        recorded = _insert_new(session, [
            {"user_id": user_id, "kind": kind, "title": spec.title, "body": spec.body, "params": params or {},
             "link": link, "dedup_key": key, "created_at": now} for user_id in people])
        if not recorded:
            return 0
        outbox = []
        for notification_id, user_id in recorded:
            recipient, roles = people[user_id]
            for name in routing().channels_for(kind, roles):
                adapter = channel(name)
                address = adapter.address(recipient) if adapter.available() else None
                if address:
                    outbox.append({"notification_id": notification_id, "channel": name, "address": address[:255],
                                   "status": "pending", "attempts": 0, "next_attempt_at": now,
                                   "created_at": now, "updated_at": now})
        delivery_ids = session.execute(DELIVERY.insert().returning(DELIVERY.c.id), outbox).scalars().all() \
            if outbox else []
        unread = _unread_counts(session, [user_id for _id, user_id in recorded])
        for notification_id, user_id in recorded:
            recipient, _roles = people[user_id]
            title, _body = render(spec.title, spec.body, params, recipient.locale)
            live.publish(live.user_channel(user_id), "notification",
                         {"id": notification_id, "unread": unread.get(user_id, 0), "title": title, "link": link})
        after_commit(lambda: delivery.enqueue(list(delivery_ids)))
        session.commit()
    return len(recorded)


def mark_read(user_id: int, notification_id: int) -> str | None:
    """Mark one of the user's notifications read; returns its link. Raises NotificationNotFound."""
    with unit_of_work() as session:
        row = session.execute(select(NOTIFICATION.c.link, NOTIFICATION.c.read_at).where(
            NOTIFICATION.c.id == notification_id, NOTIFICATION.c.user_id == user_id)).one_or_none()
        if row is None:
            raise NotificationNotFound(notification_id)
        if row.read_at is None:
            session.execute(update(NOTIFICATION).where(NOTIFICATION.c.id == notification_id)
                            .values(read_at=utcnow()))
            _announce_count(session, user_id)
        session.commit()
    return row.link


def mark_all_read(user_id: int) -> int:
    """Mark all the user's notifications read; returns how many were unread."""
    with unit_of_work() as session:
        changed = session.execute(update(NOTIFICATION).where(
            NOTIFICATION.c.user_id == user_id, NOTIFICATION.c.read_at.is_(None)).values(read_at=utcnow())).rowcount
        if changed:
            _announce_count(session, user_id)
        session.commit()
    return changed


def _announce_count(session: Session, user_id: int) -> None:
    """Other open pages of the user update their bell."""
    live.publish(live.user_channel(user_id), "notification_read",
                 {"unread": _unread_counts(session, [user_id]).get(user_id, 0)})


def _recipients(session: Session, user_ids: list[int]) -> dict[int, tuple[Recipient, list[str]]]:
    """Active users among `user_ids`, with what the channels need and their roles."""
    from app.identity.models import User, UserRole

    default_locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    people = {
        row.id: (Recipient(row.id, row.display_name, row.email, row.locale or default_locale), [])
        for row in session.execute(select(User.id, User.display_name, User.email, User.locale).where(
            User.id.in_(user_ids), User.active.is_(True)))
    }
    for user_id, role in session.execute(select(UserRole.user_id, UserRole.role).where(
            UserRole.user_id.in_(list(people)))):
        people[user_id][1].append(role)
    return people


def _insert_new(session: Session, rows: list[dict]) -> list[tuple[int, int]]:
    """Insert the notifications whose (user, key) is new; returns (id, user_id) of those inserted."""
    if not rows:
        return []
    statement = insert_ignoring_duplicates(session, NOTIFICATION, ["user_id", "dedup_key"]).values(rows) \
        .returning(NOTIFICATION.c.id, NOTIFICATION.c.user_id)
    return [(row.id, row.user_id) for row in session.execute(statement)]


def _unread_counts(session: Session, user_ids: list[int]) -> dict[int, int]:
    return dict(session.execute(select(NOTIFICATION.c.user_id, func.count()).where(
        NOTIFICATION.c.user_id.in_(user_ids), NOTIFICATION.c.read_at.is_(None)).group_by(NOTIFICATION.c.user_id)).all())
