"""What makes a new password acceptable: pure rules, no Flask, no database."""
from __future__ import annotations

MIN_LENGTH = 8
MAX_LENGTH = 128

TOO_SHORT = "too_short"
TOO_LONG = "too_long"
TOO_SIMPLE = "too_simple"  # letters only or digits only
IS_USER_NAME = "is_user_name"


def weaknesses(password: str, username: str) -> list[str]:
    """The reasons a new password is refused (empty when it is acceptable)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        found.append(TOO_LONG)
    if not (any(c.isalpha() for c in password) and any(not c.isalpha() for c in password)):
        found.append(TOO_SIMPLE)
    if username and username.lower() in password.lower():
        found.append(IS_USER_NAME)
    return found
