"""Login throttling: at most MAX_ATTEMPTS failed sign-ins per user name and per client address in a window.

Every attempt takes a slot in both counters BEFORE the password is checked (an atomic INCR on the
platform's Redis, app/platform/rate_limits.py), so thirty parallel guesses cannot all be tried: at most
MAX_ATTEMPTS are, the rest are refused. A successful sign-in gives back its own slot only, so the
failures counted against the name and the address stay counted.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.platform.rate_limits import counter, limit_item

MAX_ATTEMPTS = 5
WINDOW = "15 minutes"
LOCK_MINUTES = 15


@dataclass(frozen=True)
class Attempt:
    """A sign-in that took its slots; `allowed` False means over the limit (refuse without checking)."""

    allowed: bool
    keys: tuple[str, ...]


def _item():
    return limit_item(f"{MAX_ATTEMPTS} per {WINDOW}")


def _identifiers(username: str, remote_addr: str | None) -> tuple[str, ...]:
    prefix = f"{current_app.config['RQ_QUEUE']}:login"
    return (f"{prefix}:user:{username.strip().lower()}", f"{prefix}:ip:{remote_addr or '-'}")


def begin_attempt(username: str, remote_addr: str | None) -> Attempt:
    """Count this attempt against the user name and the address; allowed while both are within the limit."""
    limiter, item = counter(), _item()
    keys = _identifiers(username, remote_addr)
    results = [limiter.hit(item, key) for key in keys]
    return Attempt(all(results), keys)


def begin_account_attempt(username: str) -> Attempt:
    """Count a guess of a signed-in user's own password (a password change) against the account only: the
    user is known, and colleagues behind the same address must still be able to sign in."""
    limiter, item = counter(), _item()
    key = _identifiers(username, None)[0]
    return Attempt(limiter.hit(item, key), (key,))


def succeeded(attempt: Attempt) -> None:
    """A correct password: give back this attempt's own slots (earlier failures stay counted)."""
    limiter, item = counter(), _item()
    for key in attempt.keys:
        limiter.storage.incr(item.key_for(key), item.get_expiry(), amount=-1)


def reset(username: str, remote_addr: str | None) -> None:
    """Clear both counters (an administrator unlocking an account; tests)."""
    limiter, item = counter(), _item()
    for key in _identifiers(username, remote_addr):
        limiter.clear(item, key)
