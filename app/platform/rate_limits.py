"""Rate limits (Flask-Limiter on the platform's Redis, shared by every web process).

The counters live in the same Redis as the queue: the embedded one (Redis 6.2) when REDIS_URL is unset.
Flask-Limiter's Redis storage counts with Lua scripts (INCRBY, then EXPIRE on the first hit), which
Redis 6.2 runs as well as 7.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from app.platform.extensions import limiter
from app.platform.queue import embedded_redis_url


def storage_uri(redis_url: str) -> str:
    """The `limits` storage URI of a redis-py URL (a unix socket is `redis+unix://` there)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def init_rate_limits(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if not url:
        url = app.config["REDIS_URL"] = embedded_redis_url(Path(app.config["VAR_DIR"]))
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(url))
    # Apps sharing one Redis (tests, several installations) keep their counters apart.
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config['RQ_QUEUE']}:limits")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)


def _public_posts() -> str:
    config = current_app.config
    return f"{config.get('PUBLIC_POSTS_PER_WINDOW', 30)} per {config.get('PUBLIC_POSTS_WINDOW_S', 600)} seconds"


def public_form_limit(view: Callable) -> Callable:
    """Public POST endpoints (registration, verification): at most PUBLIC_POSTS_PER_WINDOW posts per address
    per window, then 429, so they cannot be used to flood the office or burn CPU on PDF validation."""
    return limiter.limit(_public_posts, methods=["POST"])(view)


def counter() -> FixedWindowRateLimiter:
    """A fixed-window counter on the limiter's storage, for limits that are not per view (login)."""
    return FixedWindowRateLimiter(limiter.storage)


def limit_item(text: str) -> RateLimitItem:
    return parse(text)
