"""Status events over HTTP: the gateway POSTs each event as JSON to the platform's callback URL, signed
with HMAC-SHA256 over "<unix time>.<body>" in the header `X-Device-Signature: t=<unix time>,v1=<hex>`.
The route that receives them hands body and header to `verify` and gets the event or an error; events
older than the tolerance are refused, so a captured request cannot be replayed later."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

from integrations.devices.results import DeviceEvent

SIGNATURE_HEADER = "X-Device-Signature"
TOLERANCE_S = 300


class InvalidSignature(ValueError):
    pass


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(body: bytes, header: str | None, secret: str, tolerance_s: int = TOLERANCE_S,
           now: float | None = None) -> DeviceEvent:
    """The event in `body` when `header` signs it with `secret` within the tolerance; InvalidSignature
    otherwise (also for a body that is not an event)."""
    if not secret:
        raise InvalidSignature("no webhook secret configured")
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        raise InvalidSignature("missing or malformed signature header") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        raise InvalidSignature("signature timestamp outside the tolerance")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in fields.get("v1", [])):
        raise InvalidSignature("signature does not match")
    try:
        return DeviceEvent.from_json(json.loads(body))
    except (ValueError, TypeError, KeyError) as err:
        raise InvalidSignature(f"signed body is not a device event: {err}") from err
