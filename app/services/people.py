"""Looking people up."""
from __future__ import annotations

from sqlalchemy import select

from app.models import User
from app.platform.extensions import db


def find_user(username: str) -> User | None:
    if not username:
        return None
    return db.session.execute(select(User).where(User.username == username, User.active.is_(True))).scalar_one_or_none()
