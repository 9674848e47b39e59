"""Looking people up."""
from __future__ import annotations

from sqlalchemy import select

from app.identity.models import User
from app.platform.extensions import db


def find_user(username: str) -> User | None:
    """An active account by user name, or None."""
    if not username:
        return None
    return db.session.execute(select(User).where(User.username == username, User.active.is_(True))).scalar_one_or_none()


def active_user(user_id: int) -> User | None:
    """The account a session refers to, if it still exists and is active (Flask-Login's user loader)."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def user_by_name(username: str) -> User | None:
    """Any account by user name (active or not): the sign-in check decides what to tell."""
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
