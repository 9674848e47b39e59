"""Fixtures for the notification tests: users to notify and a real SMTP server (aiosmtpd) on loopback."""
from __future__ import annotations

import uuid

import pytest

from tests.smtp_server import smtp  # noqa: F401 - the fixture


@pytest.fixture
def make_user(app):
    """make_user(roles=("student",), email=..., locale=..., active=True) -> user id (a new account)."""
    from app.identity.models import User, UserRole
    from app.platform.extensions import db

    def make(roles=("student",), email: str | None = None, locale: str | None = None, active: bool = True,
             name: str = "测试用户") -> int:
        with app.app_context():
            user = User(username=f"n-{uuid.uuid4().hex[:12]}", display_name=name, email=email, locale=locale,
                        active=active)
            user.roles = [UserRole(role=r) for r in roles]
            db.session.add(user)
            db.session.commit()
            user_id = user.id
            db.session.remove()
        return user_id

    return make
