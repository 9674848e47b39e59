"""The stream server: `/events` alone, for a server that holds thousands of open connections.

    gunicorn -k gevent --worker-connections 10000 -b 127.0.0.1:5001 "app.platform.live_server:create_stream_app()"

It reads the same settings as the web processes (SECRET_KEY to check tokens, REDIS_URL, RQ_QUEUE) and
nothing else: no database, no session, no templates. nginx routes `/events` here (docs/live.md); `make run`
starts it beside the web process.
"""
from __future__ import annotations

import os

from flask import Flask


def create_stream_app(config_class: type | str | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(config_class or os.environ.get("APP_CONFIG", "config.settings.Config"))
    from app.platform.live_stream import events

    app.add_url_rule("/events", "live.events", events)
    return app
