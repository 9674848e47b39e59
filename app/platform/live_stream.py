"""Server-Sent Events for the live channels of app/platform/live.py: the endpoint, the token refresh and
the per-process hub.

`GET /events?t=<token>` streams the channels the token names. Every event carries as its id the position
of each of those channels (`<stream id>,<stream id>,...` in the token's order); on reconnect the browser
sends it back as `Last-Event-ID` (or `?last=`), and what was published meanwhile is replayed from the
channels' Redis streams before live events resume. When the gap cannot be filled (the replay buffer was
trimmed or expired), a `reset` event tells the page to reload its state.

One hub per process holds ONE Redis pub/sub connection (a pattern subscription to the installation's live
channels) and fans each event out to this process's open streams; an open stream costs a greenlet (or a
thread under the development server) and a small queue, never a Redis connection. The endpoint reads no
database and no session: the signed token is the whole authorisation, so the stream server can run under
gevent with thousands of connections (docs/live.md).
"""
from __future__ import annotations

import json
import logging
import os
import queue
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask_login import current_user
from redis import BlockingConnectionPool, Redis

from app.platform import live

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)

KEEPALIVE_S = 15.0
QUEUE_LIMIT = 1000           # events waiting for one slow client before it is resynchronised from Redis
RETRY_MS = 3000              # how long the browser waits before reconnecting
POSITION_RE = re.compile(r"^\d{1,20}-\d{1,20}$")
_RESYNC = object()


@dataclass(eq=False)
class Listener:
    keys: frozenset[str]
    events: queue.Queue = field(default_factory=lambda: queue.Queue(QUEUE_LIMIT))
    overflowed: bool = False

    def put(self, item) -> None:
        if self.overflowed:
            return
        try:
            self.events.put_nowait(item)
        except queue.Full:
            self.overflowed = True  # the stream replays from Redis once it catches up
            try:
                self.events.put_nowait(_RESYNC)
            except queue.Full:
                pass


class Hub:
    """This process's single pattern subscription to `<namespace>:live:*`, fanned out to its listeners."""

    def __init__(self, redis_url: str, namespace: str):
        self.redis_url = redis_url
        self.prefix = f"{namespace}:live:"
        self.pattern = re.sub(r"([\\*?\[\]])", r"\\\1", self.prefix) + "*"
        self._listeners: dict[str, set[Listener]] = {}
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._thread: threading.Thread | None = None
        # Replays and start positions of this process's streams: a few connections shared by all of them (a
        # burst of thousands of streams opening waits its turn instead of opening thousands of connections).
        self.redis = Redis(connection_pool=BlockingConnectionPool.from_url(redis_url, max_connections=32, timeout=20))
        self.client_name = f"bpm-live-hub-{os.getpid()}-{id(self):x}"

    def start(self, timeout: float = 5.0) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="live-hub", daemon=True)
                self._thread.start()
        if not self._subscribed.wait(timeout):
            raise ConnectionError("live hub could not subscribe to Redis")

    def add(self, keys: frozenset[str]) -> Listener:
        listener = Listener(keys)
        with self._lock:
            for key in keys:
                self._listeners.setdefault(key, set()).add(listener)
        return listener

    def remove(self, listener: Listener) -> None:
        with self._lock:
            for key in listener.keys:
                bucket = self._listeners.get(key)
                if bucket is not None:
                    bucket.discard(listener)
                    if not bucket:
                        del self._listeners[key]

    def listener_count(self) -> int:
        with self._lock:
            return len({id(x) for bucket in self._listeners.values() for x in bucket})

    def _dispatch(self, key: str, message: str) -> None:
        event_id, payload = message.split(" ", 1)
        item = (key, live.position(event_id), envelope(key[len(self.prefix):], payload))
        with self._lock:
            targets = list(self._listeners.get(key, ()))
        for listener in targets:
            listener.put(item)

    def _resync_all(self) -> None:
        with self._lock:
            targets = {x for bucket in self._listeners.values() for x in bucket}
        for listener in targets:
            listener.put(_RESYNC)

    def _run(self) -> None:
        backoff, reconnecting = 0.5, False
        while True:
            try:
                pubsub = Redis.from_url(self.redis_url, health_check_interval=30, client_name=self.client_name).pubsub()
                pubsub.psubscribe(self.pattern)
                for message in pubsub.listen():
                    kind = message["type"]
                    if kind == "psubscribe":
                        self._subscribed.set()
                        backoff = 0.5
                        if reconnecting:  # events published while we were away are in the streams
                            self._resync_all()
                    elif kind == "pmessage":
                        self._dispatch(live.text(message["channel"]), live.text(message["data"]))
            except Exception:  # noqa: BLE001 - Redis restarted or unreachable: reconnect with backoff
                log.warning("live hub lost Redis; reconnecting", exc_info=True)
            self._subscribed.clear()
            reconnecting = True
            time.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


_hubs: dict[tuple[str, str], Hub] = {}
_hubs_lock = threading.Lock()


def hub() -> Hub:
    from app.platform.queue import redis_url

    ident = (redis_url(), current_app.config["RQ_QUEUE"])
    with _hubs_lock:
        found = _hubs.get(ident)
        if found is None:
            found = _hubs[ident] = Hub(*ident)
    found.start()
    return found


def envelope(channel: str, payload: str) -> str:
    """The SSE data line of one event: the published {"type", "data"} object with its channel added."""
    return '{"channel":' + json.dumps(channel) + "," + payload[1:]


# -- the stream ----------------------------------------------------------------------------------------

def _last_positions(channels: list[str]) -> list[live.Position] | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last") or ""
    parts = raw.split(",")
    if len(parts) != len(channels) or not all(POSITION_RE.match(p) for p in parts):
        return None
    return [live.position(p) for p in parts]


@dataclass
class _Cursor:
    channels: list[str]
    keys: list[str]
    positions: list[live.Position]

    def event_id(self) -> str:
        return ",".join(f"{ms}-{seq}" for ms, seq in self.positions)

    def frame(self, data: str) -> str:
        return f"id: {self.event_id()}\ndata: {data}\n\n"

    def control(self, kind: str) -> str:
        return self.frame(json.dumps({"channel": None, "type": kind, "data": {"channels": self.channels}}))


def _catch_up(redis: Redis, cursor: _Cursor) -> tuple[list[tuple[live.Position, int, str]], bool]:
    """Events after the cursor's positions, oldest first, and whether some may have been lost (trimmed)."""
    pipe = redis.pipeline(transaction=False)
    for key, (ms, seq) in zip(cursor.keys, cursor.positions):
        pipe.xlen(key)
        pipe.xrange(key, count=1)
        pipe.xrange(key, min=f"({ms}-{seq}")
    results = pipe.execute()
    found, lost = [], False
    for index, key in enumerate(cursor.keys):
        length, first, after = results[3 * index: 3 * index + 3]
        position = cursor.positions[index]
        if length == 0:  # nothing kept: a loss only if something had been seen (the buffer expired)
            lost = lost or position != (0, 0)
            continue
        if length >= live.STREAM_MAXLEN and live.position(live.text(first[0][0])) > position:
            lost = True  # the buffer is full and starts after us: events in between may have been trimmed
        for event_id, fields in after:
            payload = live.text(fields.get(b"e") or fields.get("e"))
            found.append((live.position(live.text(event_id)), index, envelope(cursor.channels[index], payload)))
    found.sort(key=lambda item: item[0])
    return found, lost


def _events(redis: Redis, the_hub: Hub, cursor: _Cursor, resume: bool, lifetime_s: float) -> Iterator[str]:
    listener = the_hub.add(frozenset(cursor.keys))
    try:
        yield f"retry: {RETRY_MS}\n\n"
        index_of = {key: i for i, key in enumerate(cursor.keys)}
        lost = False
        backlog: list[tuple[live.Position, int, str]] = []
        if resume:
            backlog, lost = _catch_up(redis, cursor)
        else:
            cursor.positions = live.newest_positions(redis, cursor.keys)
        for position, index, data in backlog:
            cursor.positions[index] = max(cursor.positions[index], position)
            yield cursor.frame(data)
        if lost:
            cursor.positions = [max(p, q) for p, q in zip(cursor.positions, live.newest_positions(redis, cursor.keys))]
            yield cursor.control("reset")
        yield cursor.control("ready")
        ends_at = time.monotonic() + lifetime_s
        while time.monotonic() < ends_at:
            try:
                item = listener.events.get(timeout=min(KEEPALIVE_S, max(ends_at - time.monotonic(), 0.01)))
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            if item is _RESYNC:
                listener.overflowed = False
                backlog, lost = _catch_up(redis, cursor)
                for position, index, data in backlog:
                    if position > cursor.positions[index]:
                        cursor.positions[index] = position
                        yield cursor.frame(data)
                if lost:
                    cursor.positions = live.newest_positions(redis, cursor.keys)
                    yield cursor.control("reset")
                continue
            key, position, data = item
            index = index_of[key]
            if position <= cursor.positions[index]:
                continue  # already sent from the replay
            cursor.positions[index] = position
            yield cursor.frame(data)
    finally:
        the_hub.remove(listener)


@bp.get("/events")
def events():
    try:
        channels = live.read_token(request.args.get("t", ""))
    except live.ChannelRefused as err:
        return _refuse(401, str(err))
    keys = [live.stream_key(c) for c in channels]
    positions = _last_positions(channels)
    cursor = _Cursor(channels, keys, positions or [(0, 0)] * len(channels))
    lifetime = float(current_app.config.get("LIVE_STREAM_MAX_S", 3600)) * random.uniform(0.8, 1.0)
    the_hub = hub()
    response = Response(_events(the_hub.redis, the_hub, cursor, positions is not None, lifetime),
                        mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    # The token in the URL is the whole authorisation (no cookie is read), so any origin may hold it:
    # in `make run` the stream server listens on another port than the pages.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


events.required_permission = "public"  # authorised by the signed token, checked above


def _refuse(status: int, reason: str):
    response = jsonify(error=reason)
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# -- tokens for pages ------------------------------------------------------------------------------------

def current_principal():
    """The signed-in user's principal, or None for an anonymous visitor."""
    if not current_user.is_authenticated:
        return None
    from app.identity.guards import principal  # the channel rules need the signed-in principal

    return principal()


@bp.get("/live/token")
def token():
    """A fresh stream URL for the page's channels (the page calls this when its token has expired)."""
    channels = request.args.getlist("c")
    try:
        granted = live.grant(current_principal(), channels)
    except live.ChannelRefused as err:
        return _refuse(403, str(err))
    return jsonify(url=live.stream_url(granted), channels=channels)


token.required_permission = "public"  # anonymous visitors may get public channels; rules decide per channel


def subscribe_page(*channels: str) -> None:
    """Called by a view: this page listens to `channels` as well as the user's own channel. A channel the
    user may not see is a 404, like any object they may not see."""
    principal = current_principal()
    for channel in channels:
        if not live.may_subscribe(principal, channel):
            abort(404)
    g.setdefault("live_channels", [])
    g.live_channels.extend(c for c in channels if c not in g.live_channels)


@bp.app_context_processor
def page_stream() -> dict:
    """`live_stream` for base.html: the URL and channels this page listens to (None: nothing)."""
    def build() -> dict | None:
        principal = current_principal()
        channels = [live.user_channel(principal.id)] if principal is not None else []
        channels.extend(c for c in g.get("live_channels", ()) if c not in channels)
        if not channels:
            return None
        # From the positions at render time, so nothing published between this page and its stream is missed.
        from app.platform.queue import redis_connection

        keys = [live.stream_key(c) for c in channels]
        try:
            last = ",".join(f"{ms}-{seq}" for ms, seq in live.newest_positions(redis_connection(), keys))
        except Exception:  # noqa: BLE001 - Redis unreachable: the page works, it just will not update by itself
            log.warning("live positions unavailable; page without live updates", exc_info=True)
            return None
        url = live.stream_url(live.grant(principal, channels))
        return {"url": f"{url}&last={last}", "channels": channels}

    return {"live_stream": build}
