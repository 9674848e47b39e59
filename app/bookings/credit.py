"""Booking credit (预约信用): a no-show costs points; below the threshold booking is suspended for a period;
staff can lift a suspension with a reason. The policy comes from the settings (BOOKING_CREDIT_*)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.bookings import domain, notices
from app.bookings.models import BookingCredit, CreditEvent
from app.notifications import moment, notify
from app.platform import clock
from app.platform.extensions import db
from app.platform.uow import unit_of_work


class CreditError(Exception):
    """A refused credit action (lifting a suspension); `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def policy() -> domain.CreditPolicy:
    config = current_app.config
    default = domain.CreditPolicy()
    return domain.CreditPolicy(
        start=int(config.get("BOOKING_CREDIT_START", default.start)),
        no_show_penalty=int(config.get("BOOKING_CREDIT_NO_SHOW_PENALTY", default.no_show_penalty)),
        threshold=int(config.get("BOOKING_CREDIT_THRESHOLD", default.threshold)),
        suspension_days=int(config.get("BOOKING_SUSPENSION_DAYS", default.suspension_days)))


def suspended_until(user_id: int, now: datetime) -> datetime | None:
    until = db.session.execute(select(BookingCredit.suspended_until).where(BookingCredit.user_id == user_id)).scalar()
    return until if domain.is_suspended(until, now) else None


def _account(user_id: int) -> BookingCredit:
    account = db.session.execute(select(BookingCredit).where(BookingCredit.user_id == user_id)
                                 .with_for_update()).scalar_one_or_none()
    if account is None:
        account = BookingCredit(user_id=user_id, score=policy().start, no_shows=0)
        db.session.add(account)
    return account


def record_no_show(user_id: int, booking_id: int, now: datetime) -> domain.Credit:
    """In the caller's transaction: lower the score; suspend when it falls below the threshold."""
    account = _account(user_id)
    after = domain.after_no_show(domain.Credit(account.score, account.suspended_until, account.no_shows or 0),
                                 policy(), now)
    account.score, account.suspended_until, account.no_shows, account.updated_at = (
        after.score, after.suspended_until, after.no_shows, now)
    for kind in after.events:
        db.session.add(CreditEvent(user_id=user_id, booking_id=booking_id, kind=kind, score_after=after.score, at=now))
    if "suspended" in after.events:
        notify([user_id], notices.SUSPENDED.name, params={"until": moment(after.suspended_until),
                                                           "no_shows": after.no_shows},
               link="/bookings/mine", key=f"booking-credit:{user_id}:suspended:{booking_id}")
    return after


def lift(user_id: int, actor_id: int, reason: str) -> None:
    """Staff end a suspension early, saying why (the person is told)."""
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= domain.LIMITS["reason"]:
        raise CreditError(_l("Give a reason (2 to %(n)s characters).", n=domain.LIMITS["reason"]), "reason")
    now = clock.utcnow()
    with unit_of_work() as uow:
        account = _account(user_id)
        if not domain.is_suspended(account.suspended_until, now):
            raise CreditError(_l("This person's booking is not suspended."))
        account.suspended_until, account.updated_at = None, now
        uow.add(CreditEvent(user_id=user_id, kind="lifted", score_after=account.score, reason=reason,
                            actor_id=actor_id, at=now))
        notify([user_id], notices.LIFTED.name, params={"reason": reason}, link="/bookings/mine",
               key=f"booking-credit:{user_id}:lifted:{int(now.timestamp())}")
        uow.commit()
