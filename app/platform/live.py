"""Live events: pages that update by themselves (the notification bell, queue boards, the big screen).

Publishing side (any process: web, worker, scheduler)::

    from app.platform import live
    live.publish(live.user_channel(user.id), "notification", {"unread": 3})

The event goes out after the current unit of work commits (at once outside one), so nobody is told about
a change that was rolled back. Each event is appended to a short Redis stream per channel (for replay on
reconnect) and announced on Redis pub/sub (for the servers holding open connections).

Subscribing side: a page asks for channels; the web process checks that the user may see each one (the
rule registered for the channel's prefix) and signs a short-lived token naming them. The browser opens
`/events?t=<token>` (Server-Sent Events, `app/platform/live_stream.py`), served by any web process or by
the stream server (`gunicorn -k gevent`, see docs/live.md). The stream server checks only the signature:
it needs no database and no session.

Channel names are `<prefix>:<key>`; `user:<id>` is built in (a user sees only their own). An area adds its
prefixes in its registration (`Area.live_channels = (LiveChannel(prefix, rule), ...)`);
`rule(principal_or_None, key) -> bool` (None: anonymous, e.g. a hall's public board).
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.platform.uow import after_commit

log = logging.getLogger(__name__)

STREAM_MAXLEN = 200          # events kept per channel for replay
STREAM_TTL_S = 24 * 3600     # a channel's replay buffer expires a day after its last event
TOKEN_SALT = "bpm-live-stream"
CHANNEL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}:[A-Za-z0-9_.:-]{1,100}$")

ChannelRule = Callable[[Any, str], bool]
_rules: dict[str, ChannelRule] = {}

# One round trip: keep the event for replay, then announce it with its stream id.
_PUBLISH = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'e', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[1], id .. ' ' .. ARGV[2])
return id
"""


@dataclass(frozen=True)
class LiveChannel:
    """Channels `<prefix>:<key>` and who may listen: `rule(principal, key)`, principal None = anonymous."""
    prefix: str
    rule: ChannelRule


class ChannelRefused(Exception):
    """The principal may not subscribe to this channel (or it is not a channel name)."""


def register_channel(prefix: str, rule: ChannelRule) -> None:
    """Let subscribers onto `<prefix>:<key>` channels when `rule(principal, key)` says so. `principal` is
    None for an anonymous visitor (a public board); the rule decides whether that is enough."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,30}", prefix):
        raise ValueError(f"bad channel prefix {prefix!r}")
    _rules[prefix] = rule


def _own_user_channel(principal, key: str) -> bool:
    return principal is not None and key == str(principal.id)


register_channel("user", _own_user_channel)


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


# -- publishing ---------------------------------------------------------------------------------------

def stream_key(channel: str, namespace: str | None = None) -> str:
    """The Redis key (and pub/sub channel) of a live channel. Namespaced by the installation's queue name, so
    installations (and test runs) sharing a Redis server never see each other's events."""
    return f"{namespace or current_app.config['RQ_QUEUE']}:live:{channel}"


def publish(channel: str, event: str, data: dict | None = None) -> None:
    """Send `event` with `data` (JSON-safe) to everyone subscribed to `channel`, once the current unit of
    work has committed. Never raises for Redis trouble: the change is saved; a page that missed the event
    shows it on its next load."""
    _check_name(channel)
    payload = json.dumps({"type": event, "data": data or {}}, ensure_ascii=False, separators=(",", ":"))
    key = stream_key(channel)

    def send() -> None:
        try:
            publish_now(key, payload)
        except Exception:  # noqa: BLE001 - live updates are a convenience on top of saved state
            log.warning("live event %s on %s not published", event, channel, exc_info=True)

    after_commit(send)


Position = tuple[int, int]  # a Redis stream id (milliseconds, sequence)


def position(text: str) -> Position:
    ms, seq = text.split("-", 1)
    return int(ms), int(seq)


def text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def newest_positions(redis, keys: list[str]) -> list[Position]:
    """Per channel key, the id of its newest kept event ((0, 0) if none): where a new subscriber starts."""
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.xrevrange(key, count=1)
    return [position(text(found[0][0])) if found else (0, 0) for found in pipe.execute()]


def publish_script() -> str:
    """The Lua script of one publication (keep the event, announce it), for tools that publish in bulk."""
    return _PUBLISH


def publish_now(key: str, payload: str) -> str:
    from app.platform.queue import redis_connection

    redis = redis_connection()
    script = current_app.extensions.get("live_publish_script")
    if script is None:
        script = current_app.extensions["live_publish_script"] = redis.register_script(_PUBLISH)
    event_id = script(keys=[key], args=[STREAM_MAXLEN, payload, STREAM_TTL_S], client=redis)
    return event_id.decode() if isinstance(event_id, bytes) else event_id


# -- subscribing: who may, and the signed token -----------------------------------------------------

def _check_name(channel: str) -> None:
    if not isinstance(channel, str) or not CHANNEL_RE.match(channel):
        raise ChannelRefused(f"not a channel name: {channel!r}")


def may_subscribe(principal, channel: str) -> bool:
    try:
        _check_name(channel)
    except ChannelRefused:
        return False
    prefix, key = channel.split(":", 1)
    rule = _rules.get(prefix)
    return bool(rule and rule(principal, key))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def grant(principal, channels: Iterable[str]) -> str:
    """A signed token for these channels, after checking each against its rule. Raises ChannelRefused."""
    names = list(dict.fromkeys(channels))
    if not names or len(names) > 16:
        raise ChannelRefused("between 1 and 16 channels per stream")
    for channel in names:
        if not may_subscribe(principal, channel):
            raise ChannelRefused(channel)
    return _serializer().dumps(names)


def read_token(token: str) -> list[str]:
    """The channels a token grants; raises ChannelRefused when it is forged, malformed or expired."""
    try:
        names = _serializer().loads(token, max_age=current_app.config.get("LIVE_TOKEN_MAX_AGE_S", 3600))
    except SignatureExpired as err:
        raise ChannelRefused("token expired") from err
    except BadSignature as err:
        raise ChannelRefused("bad token") from err
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and CHANNEL_RE.match(n) for n in names):
        raise ChannelRefused("bad token")
    return names


def stream_url(token: str) -> str:
    """Where the browser opens the stream: LIVE_STREAM_URL (the stream server, e.g. behind nginx's /events)
    or this app's own endpoint."""
    base = current_app.config.get("LIVE_STREAM_URL") or url_for("live.events")
    return f"{base}{'&' if '?' in base else '?'}t={token}"
