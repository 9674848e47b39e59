"""Use cases on accounts."""
from __future__ import annotations

from app.identity.models import User
from app.platform.i18n import LANGUAGES
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
