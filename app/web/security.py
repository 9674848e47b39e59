"""Route guards, the current principal, login throttling and the operation log (操作日志).

Every view is wrapped by `permission_required(...)` or declared `public`; `check_route_guards()` refuses to
start an app with an unguarded view, so a new route cannot forget its check.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, current_app, g, request
from flask_login import current_user
from sqlalchemy import insert

from app.models import OperationLog, User
from app.platform.extensions import db, login_manager
from app.services.access import Principal

PUBLIC = "public"
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


def public(view: Callable) -> Callable:
    view.required_permission = PUBLIC
    return view


def permission_required(permission: str) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not principal().can(permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return decorate


def login_only(view: Callable) -> Callable:
    """Any signed-in user (their own profile, logout, language)."""
    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    guarded.required_permission = "login"
    return guarded


def principal() -> Principal:
    if "principal" not in g:
        user: User = current_user
        g.principal = Principal(user.id, user.role_names, user.college_ids, user.employer_id)
    return g.principal


def check_route_guards(app: Flask) -> None:
    unguarded = [name for name, view in app.view_functions.items()
                 if name != "static" and not hasattr(view, "required_permission")]
    if unguarded:
        raise RuntimeError(f"views without a permission check: {', '.join(sorted(unguarded))}")


# -- login throttling (Redis: shared by every web process) ----------------------------------------

def _keys(username: str) -> list[str]:
    return [f"login:fail:user:{username.lower()}", f"login:fail:ip:{request.remote_addr}"]


def login_locked(username: str) -> bool:
    from app.platform.queue import redis_connection

    counts = redis_connection().mget(_keys(username))
    return any(c is not None and int(c) >= MAX_FAILURES for c in counts)


def record_login_failure(username: str) -> None:
    from app.platform.queue import redis_connection

    pipe = redis_connection().pipeline()
    for key in _keys(username):
        pipe.incr(key)
        pipe.expire(key, LOCK_SECONDS)
    pipe.execute()


def clear_login_failures(username: str) -> None:
    from app.platform.queue import redis_connection

    redis_connection().delete(_keys(username)[0])


# -- rate limits for public forms (Redis: shared by every web process) ------------------------------

def rate_limited(view: Callable) -> Callable:
    """Public POST endpoints (registration, verification): at most PUBLIC_POSTS_PER_WINDOW posts per address
    per window, then 429, so they cannot be used to flood the office or burn CPU on PDF validation."""
    @wraps(view)
    def limited(*args, **kwargs):
        if request.method == "POST":
            from app.platform.queue import redis_connection

            limit = current_app.config.get("PUBLIC_POSTS_PER_WINDOW", 30)
            key = f"ratelimit:{request.endpoint}:{request.remote_addr}"
            pipe = redis_connection().pipeline()
            pipe.incr(key)
            pipe.expire(key, current_app.config.get("PUBLIC_POSTS_WINDOW_S", 600), nx=True)
            count, _ = pipe.execute()
            if count > limit:
                abort(429)
        return view(*args, **kwargs)

    return limited


# -- operation log ----------------------------------------------------------------------------------

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def log_operation(response):
    if request.method not in STATE_CHANGING or request.endpoint in (None, "static"):
        return response
    status = response.status_code
    outcome = "ok" if status < 400 else "denied" if status in (401, 403) else "error" if status >= 500 else "refused"
    user_id = current_user.id if current_user.is_authenticated else None
    username = current_user.username if current_user.is_authenticated else (request.form.get("username") or None)
    session = db.session
    try:
        # The request's own work is committed (or failed) by now; whatever is left open is discarded, so
        # the log entry is written in a transaction of its own whatever happened to the request's.
        session.rollback()
        session.execute(insert(OperationLog.__table__).values(
            user_id=user_id, username=(username or "")[:80] or None, method=request.method,
            path=request.full_path.rstrip("?")[:500], endpoint=request.endpoint,
            remote_addr=request.remote_addr, status_code=status, outcome=outcome))
        session.commit()
    except Exception:  # noqa: BLE001 - the log must never turn a good answer into an error page
        session.rollback()
        current_app.logger.exception("operation log write failed")
    return response
