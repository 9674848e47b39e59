"""The in-app notification centre's rows and the outbox of deliveries on other channels."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db_types import BigId, Json, UTCDateTime, utcnow
from app.platform.extensions import db


class Notification(db.Model):
    """One notification for one user. Title and body are message ids of the catalogue with their parameters,
    rendered when read, so each user reads them in their own language."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "dedup_key"),       # the same event notifies a user once
        Index("ix_notification_user_id_id", "user_id", "id"),        # the list, newest first
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),  # the unread count
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(Json, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(db.Model):
    """A notification to be sent on one more channel (e-mail, later SMS/WeChat) by a worker job.

    pending -> sending -> sent | retry (-> sending ...) | failed. A job sends only after moving the row
    from pending/retry to sending, so a job delivered twice sends once."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_notification_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
