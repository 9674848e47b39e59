"""The engine's schema migrations carry existing rows over, on SQLite and PostgreSQL: each test builds a
fresh database at the revision before a migration, writes rows as the old code did, upgrades, checks, and
downgrades again."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect as sa_inspect, text

from app import create_app
from app.platform.extensions import db
from tests.conftest import _PG_PROBLEM, PG_URL
from tests.procs import build_config


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path, redis_url):
    """An app on an empty database of its own (migrated by the test itself)."""
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        if _PG_PROBLEM is not None:
            pytest.skip(f"PostgreSQL unreachable: {_PG_PROBLEM}")
        schema = f"m_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    app = create_app(build_config(url, redis_url, f"m-{uuid.uuid4().hex[:8]}", str(tmp_path)))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if schema:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _instance(conn, instance_id: int, business_key: str | None) -> None:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    conn.execute(text("INSERT INTO process_definition (id, process_key, name, version, content_hash, source_name, "
                      "bpmn_xml, spec_json, reportable_fields, start_messages, starter_roles, created_at) "
                      "SELECT 1, 'p', 'p', 1, 'h', 'p.bpmn', '', '{}', '[]', '[]', '[]', :now "
                      "WHERE NOT EXISTS (SELECT 1 FROM process_definition WHERE id = 1)"), {"now": now})
    conn.execute(text("INSERT INTO process_instance (id, definition_id, process_key, business_key, status, version, "
                      "state, serializer_version, step_count, created_at, updated_at) "
                      "VALUES (:id, 1, 'p', :bk, 'running', 1, '{}', '1.5', 0, :now, :now)"),
                 {"id": instance_id, "bk": business_key, "now": now})


def test_waiting_message_catches_become_indexed_correlation_rows(old_database):
    upgrade(revision="a3d9e1c4b7f2")
    long_value = "x" * 300
    with db.engine.begin() as conn:
        _instance(conn, 1, "AGR-1")
        _instance(conn, 2, None)
        conn.execute(text("INSERT INTO message_subscription (instance_id, task_guid, message_name, correlation) "
                          "VALUES (1, 'g1', 'paid', :c1), (2, 'g2', 'paid', :c2)"),
                     {"c1": '{"instance_id": 1, "business_key": "AGR-1", "order_no": 7}',
                      "c2": f'{{"instance_id": 2, "business_key": null, "note": "{long_value}"}}'})
    upgrade(revision="b5e2c8d41f07")
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT instance_id, task_guid, message_name, key, value FROM message_correlation "
                                 "ORDER BY instance_id, key")).all()
    assert [tuple(r) for r in rows] == [
        (1, "g1", "paid", "business_key", "AGR-1"), (1, "g1", "paid", "instance_id", "1"),
        (1, "g1", "paid", "order_no", "7"),
        (2, "g2", "paid", "instance_id", "2"), (2, "g2", "paid", "note", rows[4].value),
    ]
    assert rows[4].value.startswith("sha256:")
    downgrade(revision="a3d9e1c4b7f2")
    with db.engine.connect() as conn:
        back = conn.execute(text("SELECT instance_id, message_name FROM message_subscription ORDER BY 1")).all()
    assert [tuple(r) for r in back] == [(1, "paid"), (2, "paid")]


def test_college_and_employer_columns_become_the_generic_instance_scope(old_database):
    upgrade(revision="d7b3e1f40a21")
    with db.engine.begin() as conn:
        _instance(conn, 1, "AGR-1")
        _instance(conn, 2, None)
        conn.execute(text("UPDATE process_instance SET college_id = 3, employer_id = 7 WHERE id = 1"))
        conn.execute(text("INSERT INTO open_task (id, instance_id, task_guid, spec_id, name, lane, process_key, "
                          "process_name, addressed, college_id, employer_id, created_at) VALUES "
                          "(1, 1, 'g1', 't', 't', 'counselor', 'p', 'p', false, 3, 7, :now)"),
                     {"now": datetime.now(timezone.utc).replace(tzinfo=None)})
    upgrade(revision="d4f1a7c3e920")
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT instance_id, key, value FROM instance_scope ORDER BY 1, 2")).all()
        columns = {c["name"] for c in sa_inspect(conn).get_columns("open_task")}
    assert [tuple(r) for r in rows] == [(1, "college", "3"), (1, "employer", "7")]
    assert not {"college_id", "employer_id"} & columns
    upgrade(revision="e8a5c2d6b104")  # the open task gets its copy, with its lane
    with db.engine.connect() as conn:
        copied = conn.execute(text("SELECT open_task_id, key, value, lane FROM open_task_scope ORDER BY 2")).all()
    assert [tuple(r) for r in copied] == [(1, "college", "3", "counselor"), (1, "employer", "7", "counselor")]
    downgrade(revision="d7b3e1f40a21")
    with db.engine.connect() as conn:
        instances = conn.execute(text("SELECT id, college_id, employer_id FROM process_instance ORDER BY id")).all()
        task = conn.execute(text("SELECT college_id, employer_id FROM open_task")).one()
    assert [tuple(r) for r in instances] == [(1, 3, 7), (2, None, None)] and tuple(task) == (3, 7)
