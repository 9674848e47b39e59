"""Shared set-up for the benchmark scripts: throw-away PostgreSQL schemas and SQLite files, app building.

Each benchmark builds its own app against its own schema / file (migrated with flask_migrate.upgrade(),
as tests/conftest.py does) and removes it at the end, also when it fails or is interrupted.
"""
from __future__ import annotations

import json
import os
import signal
import statistics
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# bench/queue.py (the name its issue gives it) must not shadow the standard library's queue, which psycopg and
# redis import: bench/ goes last on the path, where its own modules (_common, measure) are still found.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

TESTS = ROOT / "tests"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def sigterm_as_exit() -> None:
    """Turn SIGTERM into SystemExit so `finally:` blocks (schema clean-up) still run; make Ctrl-C work even
    when the shell started us with SIGINT ignored (background jobs of non-interactive shells)."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pg_url_for(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def create_schema() -> str:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


def drop_schema(schema: str) -> None:
    import psycopg

    try:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    except Exception as err:  # noqa: BLE001 - report, never hide the benchmark's own error
        print(f"WARNING: could not drop schema {schema}: {err}", file=sys.stderr)


def build_app(database_url: str, tmp: Path, redis_url: str = "redis://127.0.0.1:6379/14"):
    """An app like tests/conftest.py builds, migrated to head."""
    from flask_migrate import upgrade

    from app import create_app
    from config.settings import TestConfig

    sqlite = database_url.startswith("sqlite")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 30}} if sqlite else {}
        REDIS_URL = redis_url
        RQ_QUEUE = f"bench-{uuid.uuid4().hex[:8]}"
        RQ_ASYNC = False
        VAR_DIR = tmp

    import logging

    app = create_app(Config)
    logging.disable(logging.INFO)  # alembic's fileConfig turns its INFO chatter on for every upgrade
    try:
        with app.app_context():
            upgrade()
    finally:
        logging.disable(logging.NOTSET)
    return app


def release_app(app) -> None:
    from app.platform.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def pg_schema():
    """Yields (schema, url); the schema is dropped on the way out, whatever happened."""
    schema = create_schema()
    try:
        yield schema, pg_url_for(schema)
    finally:
        drop_schema(schema)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank-interpolated percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def emit_json(obj: dict) -> None:
    """The very last line of every benchmark's output."""
    sys.stdout.flush()
    sys.stderr.flush()
    print(json.dumps(obj), flush=True)
