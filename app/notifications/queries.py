"""Read side of the notification centre: a user's own notifications only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.notifications.models import Notification
from app.notifications.render import render
from app.platform.extensions import db

NOTIFICATION = Notification.__table__
PAGE_SIZE = 20


@dataclass(frozen=True)
class Shown:
    id: int
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class NotificationPage:
    rows: list[Shown]
    total: int
    unread: int
    page: int
    pages: int


def unread_count(user_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(NOTIFICATION).where(
        NOTIFICATION.c.user_id == user_id, NOTIFICATION.c.read_at.is_(None))).scalar_one()


def was_notified(user_id: int, key: str) -> bool:
    """Whether the user got the notification of the event `key` (e.g. to say "the student was notified")."""
    return db.session.execute(select(NOTIFICATION.c.id).where(
        NOTIFICATION.c.user_id == user_id, NOTIFICATION.c.dedup_key == key)).first() is not None


def notifications_of(user_id: int, page: int = 1, unread_only: bool = False) -> NotificationPage:
    """One page of the user's notifications, newest first, in the current language."""
    where = [NOTIFICATION.c.user_id == user_id]
    if unread_only:
        where.append(NOTIFICATION.c.read_at.is_(None))
    total = db.session.execute(select(func.count()).select_from(NOTIFICATION).where(*where)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = db.session.execute(select(NOTIFICATION).where(*where).order_by(NOTIFICATION.c.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    shown = []
    for row in rows:
        title, body = render(row.title, row.body, row.params)
        shown.append(Shown(row.id, row.kind, title, body, row.link, row.created_at, row.read_at is not None))
    return NotificationPage(shown, total, unread_count(user_id), page, pages)
