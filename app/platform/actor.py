"""Who acts in this request, as plain values taken when the account is loaded. The operation log and the
language choice read them after the request's own commit has expired the ORM account: reading the account
there would load it again (three statements on every state-changing request)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context
from flask_login import current_user


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    locale: str | None


def remember_actor(user_id: int, username: str, locale: str | None) -> None:
    """Called by the user loader with the account it found for the session."""
    g.actor = Actor(user_id, username, locale)


def current_actor() -> Actor | None:
    """The signed-in account of this request, or None (outside requests too)."""
    if not has_request_context():
        return None
    if "actor" not in g:  # not loaded yet, anonymous, or signed in during this request
        user = current_user
        g.actor = Actor(user.id, user.username, user.locale) if user.is_authenticated else None
    return g.actor
