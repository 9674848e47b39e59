"""Use cases on accounts."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.identity import passwords
from app.identity.models import User
from app.platform.i18n import LANGUAGES
from app.platform.sessions import end_user_sessions
from app.platform.uow import unit_of_work


def set_locale(user_id: int, locale: str) -> None:
    """Remember the user's language choice for the next sessions."""
    if locale not in LANGUAGES:
        raise ValueError(f"unknown language {locale!r}")
    with unit_of_work() as uow:
        user = uow.get(User, user_id)
        if user is not None:
            user.locale = locale
        uow.commit()


class PasswordRefused(Exception):
    """A password change that cannot be made; `errors` maps a form field to the reasons (passwords.* codes or
    "wrong" for the current password, "mismatch" for the repetition)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def change_password(user_id: int, current: str, new: str, repeated: str) -> None:
    """Set a new password after checking the current one; every session of the account ends (the caller's
    own continues under a new id, app.platform.sessions.renew_session)."""
    with unit_of_work() as uow:
        user = uow.get(User, user_id)
        if user is None or not user.active:
            raise PasswordRefused({"current": ["wrong"]})
        errors: dict[str, list[str]] = {}
        if not user.password_hash or not check_password_hash(user.password_hash, current):
            errors["current"] = ["wrong"]
        problems = passwords.weaknesses(new, user.username)
        if not problems and current and new == current:
            problems = ["unchanged"]
        if problems:
            errors["new"] = problems
        if new != repeated:
            errors["repeated"] = ["mismatch"]
        if errors:
            raise PasswordRefused(errors)
        user.password_hash = generate_password_hash(new)
        uow.commit()
    end_user_sessions(user_id)


def set_active(username: str, active: bool) -> bool:
    """Deactivate (or reactivate) an account; a deactivated account's sessions end at once. False when there
    is no such account."""
    with unit_of_work() as uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            return False
        user.active = active
        user_id = user.id
        uow.commit()
    if not active:
        end_user_sessions(user_id)
    return True

