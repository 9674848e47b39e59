"""Server-side sessions in Redis: the cookie holds only a random session id, the session lives in Redis.

Ending a session removes its record, so a replayed cookie after sign-out, a password change or the
deactivation of the account finds nothing and the request is anonymous (the login page). Each record expires
after its idle time (the key's TTL, renewed by every request) and at the latest its absolute lifetime after
it began; both come from `session_limits` (the identity package sets shorter ones for staff and admins).
The id changes whenever the signed-in user changes (sign-in, sign-out: no session fixation), and every
session of a user is listed in a Redis set so that all of them can be ended at once.

Only commands of Redis 6.2 (the embedded one) are used: SET with EX/XX, GET, EXPIRE, SADD, SREM, SMEMBERS, DEL.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask, Request, Response, current_app, request, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SessionInterface

from app.platform.queue import redis_connection

LIMITS_KEY = "bpm.session_limits"
_serializer = TaggedJSONSerializer()


@dataclass(frozen=True)
class SessionLimits:
    idle_s: int
    max_s: int


class ServerSession(SecureCookieSession):
    """A session dict that knows its record: id, the user it was issued to, when it began, its limits."""

    def __init__(self, initial=None, sid: str | None = None, user_id: int | None = None,
                 created: float | None = None, limits: SessionLimits | None = None) -> None:
        super().__init__(initial)
        self.sid = sid
        self.user_id = user_id
        self.created = created
        self.limits = limits
        self.renew = False


def configure_session_limits(app: Flask, limits_for: Callable[[int], SessionLimits]) -> None:
    """Who decides the limits of a signed-in user's session (the identity package, by roles)."""
    app.extensions[LIMITS_KEY] = limits_for


def renew_session() -> None:
    """Give the current session a new id at the end of this request (after its user's sessions were ended)."""
    session.renew = True


def _record_key(sid: str) -> str:
    return f"{current_app.config['RQ_QUEUE']}:session:{hashlib.sha256(sid.encode()).hexdigest()}"


def _user_key(user_id: int) -> str:
    return f"{current_app.config['RQ_QUEUE']}:session-user:{user_id}"


def end_user_sessions(user_id: int) -> int:
    """End every session of this user (password changed, account deactivated); returns how many there were."""
    redis = redis_connection()
    keys = list(redis.smembers(_user_key(user_id)))
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.delete(key)
    pipe.delete(_user_key(user_id))
    results = pipe.execute()
    return sum(results[:-1])


def _signed_in_user(data: ServerSession) -> int | None:
    value = data.get("_user_id")  # Flask-Login's key
    return int(value) if isinstance(value, str) and value.isdigit() else None


class RedisSessionInterface(SessionInterface):
    session_class = ServerSession

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or len(sid) > 100:
            return ServerSession()
        raw = redis_connection().get(_record_key(sid))
        if raw is None:
            return ServerSession()  # ended, expired or never issued
        record = _serializer.loads(raw.decode())
        limits = SessionLimits(*record["limits"])
        if time.time() > record["created"] + limits.max_s:
            self._drop(sid, record["user"])
            return ServerSession()
        return ServerSession(record["data"], sid, record["user"], record["created"], limits)

    def save_session(self, app: Flask, data: ServerSession, response: Response) -> None:
        if data.accessed:
            response.vary.add("Cookie")
        user_id = _signed_in_user(data)
        if data.sid and (data.renew or user_id != data.user_id):  # a new user (or renewal): a new id
            self._drop(data.sid, data.user_id)
            data.sid = None
        if not data:
            if data.sid:
                self._drop(data.sid, data.user_id)
            if self.get_cookie_name(app) in request.cookies:
                self._delete_cookie(app, response)
            return
        if data.sid is None:
            self._start(app, data, user_id, response)
        elif data.modified:
            stored = redis_connection().set(_record_key(data.sid), self._dumps(data), ex=data.limits.idle_s, xx=True)
            if not stored:  # ended by another request meanwhile: it stays ended
                self._delete_cookie(app, response)
        else:
            redis_connection().expire(_record_key(data.sid), data.limits.idle_s)

    def _start(self, app: Flask, data: ServerSession, user_id: int | None, response: Response) -> None:
        data.sid, data.user_id, data.created = secrets.token_urlsafe(32), user_id, time.time()
        data.limits = self._limits(app, user_id)
        key = _record_key(data.sid)
        pipe = redis_connection().pipeline(transaction=False)
        pipe.set(key, self._dumps(data), ex=data.limits.idle_s)
        if user_id is not None:
            pipe.sadd(_user_key(user_id), key)
            pipe.expire(_user_key(user_id), max(app.config["SESSION_MAX_S"], app.config["STAFF_SESSION_MAX_S"]))
        pipe.execute()
        expires = (datetime.fromtimestamp(data.created + data.limits.max_s, timezone.utc)
                   if data.permanent else None)
        response.set_cookie(self.get_cookie_name(app), data.sid, expires=expires,
                            httponly=self.get_cookie_httponly(app), domain=self.get_cookie_domain(app),
                            path=self.get_cookie_path(app), secure=self.get_cookie_secure(app),
                            samesite=self.get_cookie_samesite(app), partitioned=self.get_cookie_partitioned(app))
        response.vary.add("Cookie")

    @staticmethod
    def _limits(app: Flask, user_id: int | None) -> SessionLimits:
        limits_for = app.extensions.get(LIMITS_KEY)
        if user_id is not None and limits_for is not None:
            return limits_for(user_id)
        return SessionLimits(int(app.config["SESSION_IDLE_S"]), int(app.config["SESSION_MAX_S"]))

    @staticmethod
    def _dumps(data: ServerSession) -> str:
        return _serializer.dumps({"data": dict(data), "user": data.user_id, "created": data.created,
                                  "limits": [data.limits.idle_s, data.limits.max_s]})

    @staticmethod
    def _drop(sid: str, user_id: int | None) -> None:
        key = _record_key(sid)
        pipe = redis_connection().pipeline(transaction=False)
        pipe.delete(key)
        if user_id is not None:
            pipe.srem(_user_key(user_id), key)
        pipe.execute()

    def _delete_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(self.get_cookie_name(app), domain=self.get_cookie_domain(app),
                               path=self.get_cookie_path(app), secure=self.get_cookie_secure(app),
                               samesite=self.get_cookie_samesite(app), httponly=self.get_cookie_httponly(app),
                               partitioned=self.get_cookie_partitioned(app))
        response.vary.add("Cookie")


def init_sessions(app: Flask) -> None:
    app.session_interface = RedisSessionInterface()
