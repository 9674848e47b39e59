"""The signed token in a booth's QR code: which booth, and until when it admits check-ins (the fair's end).
Anyone may read it (it names a booth); nobody can make one for another booth or a later time without the
installation's SECRET_KEY (itsdangerous)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "interviews-booth-checkin"
MAX_AGE_S = 60 * 24 * 3600  # a token is never older than this, whatever it says


class BadToken(Exception):
    """Forged, damaged, for no booth, or expired."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make(booth_id: int, expires_at: datetime) -> str:
    return _serializer().dumps({"b": booth_id, "x": int(expires_at.timestamp())})


def read(token: str, now: datetime | None = None) -> int:
    """The booth id of a valid, unexpired token."""
    try:
        data = _serializer().loads(token or "", max_age=MAX_AGE_S)
    except BadSignature as err:
        raise BadToken("bad token") from err
    if not isinstance(data, dict) or not isinstance(data.get("b"), int) or not isinstance(data.get("x"), int):
        raise BadToken("bad token")
    if (now or datetime.now(timezone.utc)).timestamp() > data["x"]:
        raise BadToken("expired")
    return data["b"]
