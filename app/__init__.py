"""The Flask application factory: the platform's extensions, then the core packages and the business areas
registered in AREAS (config/settings.py), each through the area contract (app/platform/areas.py)."""
from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.platform.areas import Registry, load_area
from app.platform.extensions import babel, db, login_manager, migrate
from app.platform.request_limits import LimitedRequest

# Generic packages, registered through the same contract before the business areas.
CORE = ("app.identity.area", "app.forms.area", "app.tasklist.area", "app.processes.area", "app.notifications.area",
        "app.modeler.area")


def create_app(config_class: type | str | None = None) -> Flask:
    app = Flask(__name__)
    app.request_class = LimitedRequest
    if config_class is None:
        config_class = os.environ.get("APP_CONFIG", "config.settings.Config")
    app.config.from_object(config_class)
    _sqlite_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    login_manager.init_app(app)
    from app.platform.i18n import select_locale
    from app.platform.rate_limits import init_rate_limits
    from app.platform.web import init_web

    translations = os.path.join(os.path.dirname(__file__), "translations")
    # Two domains, one look-up: the code's English texts (zh/messages.po) and the Chinese texts of forms and
    # BPMN files (en/zh_source.po); see app/platform/source_texts.py.
    babel.init_app(app, locale_selector=select_locale, default_domain="messages;zh_source",
                   default_translation_directories=f"{translations};{translations}")
    init_rate_limits(app)
    init_web(app)
    _register_tables()
    registry = Registry([load_area(module) for module in (*CORE, *app.config.get("AREAS", ()))])
    registry.register(app)
    from app.cli import register_cli
    from app.identity.guards import check_route_guards

    register_cli(app)
    _wire_engine(app)
    check_route_guards(app)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies > 0:  # behind nginx & co: the client address is in X-Forwarded-For, not the socket
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def _wire_engine(app: Flask) -> None:
    """The engine's jobs reach the workers through RQ, as calls of the job entry point in tasks/; the
    history of each committed step reaches the platform's listeners (notifications of new tasks)."""
    from app import engine
    from app.notifications.task_events import on_engine_events
    from app.platform.queue import rq_enqueuer

    engine.configure(app, enqueue_job=rq_enqueuer("tasks.engine_jobs.run_job",
                                                  timeout_s=app.config["JOB_TIMEOUT_S"] + 30),
                     enqueue_timers=rq_enqueuer("tasks.engine_jobs.fire_timers", timeout_s=600))
    engine.add_history_listener(app, on_engine_events)


def _register_tables() -> None:
    """Import the core's model modules so that the metadata (and Alembic) sees them; an area's area.py imports
    its own."""
    from app.engine import models as engine_models  # noqa: F401
    from app.identity import models as identity_models  # noqa: F401
    from app.platform import oplog, sequences  # noqa: F401


def _sqlite_options(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, WAL, and let SQLAlchemy (not pysqlite) open transactions."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn) -> None:
    """SQLite: take the write lock when the transaction starts. A deferred transaction that reads and then
    writes fails at once (SQLITE_BUSY, no waiting) when another process wrote in between; IMMEDIATE
    waits for the lock (busy timeout) instead, so several processes can share the file safely. Reads on an
    AUTOCOMMIT connection (the engine's, outside any unit of work) open no transaction and take no lock."""
    if conn.dialect.name == "sqlite" and conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
