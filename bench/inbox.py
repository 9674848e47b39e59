"""Inbox at scale: p95 of the My tasks and My groups queries and of the rendered inbox page.

Measures, on PostgreSQL, with 100,000 open tasks and 1,000,000 history events (bulk-generated with
generate_series in a throw-away schema): the two inbox queries as the service runs them
(app.tasklist.queries.list_tasks: count + first page) for a typical student (tasks addressed to him) and a
typical counselor (his colleges' group tasks; his landing view "My tasks" lists them too; his overdue view), his "My processes"
list (app.processes.queries.overview: first page and counts by state of the instances he may open), and the whole
landing page rendered through Flask for the counselor (login session, permission checks, badge count,
template with each row's summary). Goals: <= 50 ms per query,
<= 150 ms per page. Prints the figures; the last line is one JSON object.

    .venv/bin/python bench/inbox.py [--tasks 100000 --history 1000000 --repeat 60]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import _common as common  # noqa: E402 - sets sys.path


def generate(conn, tasks: int, history: int, students: int, colleges: int) -> None:
    """Users, instances, open tasks (40% addressed to a student, 35% counselor lane, 25% staff lane),
    owners and history, with realistic spread over colleges, processes and due dates."""
    # the driver's own connection: a parameterless multi-statement script, % is the modulo operator here
    conn.connection.driver_connection.execute(f"""
        INSERT INTO college (id, code, name) SELECT g, 'C' || g, '学院' || g FROM generate_series(1, {colleges}) g;
        INSERT INTO user_account (id, username, display_name, active, created_at)
            SELECT g, 'u' || g, '用户' || g, true, now() FROM generate_series(1, {students + colleges + 10}) g;
        INSERT INTO user_role (user_id, role) SELECT g, 'student' FROM generate_series(1, {students}) g;
        INSERT INTO user_role (user_id, role)
            SELECT {students} + g, 'counselor' FROM generate_series(1, {colleges}) g;
        INSERT INTO counselor_scope (user_id, college_id)
            SELECT {students} + g, g FROM generate_series(1, {colleges}) g;
        INSERT INTO user_role (user_id, role)
            SELECT {students + colleges} + g, 'staff' FROM generate_series(1, 10) g;
        INSERT INTO process_definition (id, process_key, name, version, content_hash, source_name, bpmn_xml,
            spec_json, reportable_fields, start_messages, starter_roles, created_at)
            SELECT g, 'proc_' || g, '流程' || g, 1, md5(g::text), 'p.bpmn', '', '{{}}', '[]', '[]', '[]', now()
            FROM generate_series(1, 8) g;
        INSERT INTO process_instance (id, definition_id, process_key, business_key, status, version, state,
            serializer_version, step_count, started_by, created_at, updated_at)
            SELECT g, 1 + g % 8, 'proc_' || (1 + g % 8), 'BK' || g, 'running', 1, '{{}}', '1.5', 3,
                   1 + g % {students}, now(), now()
            FROM generate_series(1, {tasks // 2}) g;
        INSERT INTO instance_scope (instance_id, key, value)
            SELECT g, 'college', (1 + g % {colleges})::text FROM generate_series(1, {tasks // 2}) g;
        SELECT setseed(0.42);
        INSERT INTO open_task (id, instance_id, task_guid, spec_id, name, lane, process_key, process_name,
            business_key, assignee_id, due_at, created_at, addressed)
            SELECT g, i, md5(g::text)::uuid::text, 'task_' || (g % 5), '任务' || (g % 5),
                   CASE WHEN r < 0.4 THEN 'student' WHEN r < 0.75 THEN 'counselor' ELSE 'staff' END,
                   'proc_' || (1 + i % 8), '流程' || (1 + i % 8), 'BK' || i,
                   CASE WHEN r >= 0.75 AND g % 3 = 0 THEN {students + colleges} + 1 + g % 10 END,
                   now() + ((g % 30) - 5) * interval '1 day', now() - (g % 1000) * interval '1 minute', r < 0.4
            FROM (SELECT g, 1 + g % {tasks // 2} AS i, random() AS r FROM generate_series(1, {tasks}) g) t;
        INSERT INTO open_task_scope (open_task_id, key, value, lane)
            SELECT t.id, s.key, s.value, t.lane FROM open_task t JOIN instance_scope s ON s.instance_id = t.instance_id;
        INSERT INTO open_task_owner (open_task_id, user_id)
            SELECT id, 1 + id % {students} FROM open_task WHERE lane = 'student';
        INSERT INTO history_event (instance_id, process_key, business_key, event_type, at, actor_id, lane,
            task_spec_id, task_name, task_guid)
            SELECT 1 + g % {tasks // 2}, 'proc_' || (1 + g % 8), 'BK' || (1 + g % {tasks // 2}),
                   (ARRAY['task_ready','task_completed','instance_started','task_claimed'])[1 + g % 4],
                   now() - (g % 100000) * interval '1 minute', 1 + g % ({students} + {colleges} + 10),
                   'student', 'task_' || (g % 5), '任务' || (g % 5), NULL
            FROM generate_series(1, {history}) g;
        SELECT setval(pg_get_serial_sequence('open_task', 'id'), {tasks});
        SELECT setval(pg_get_serial_sequence('user_account', 'id'), {students + colleges + 10});
        ANALYZE;
    """)


def p95_ms(fn, repeat: int) -> tuple[float, float]:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return common.percentile(times, 95), common.median(times)


def main() -> int:
    common.sigterm_as_exit()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--colleges", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    print(__doc__.split("\n\n")[1])
    from sqlalchemy import text
    from werkzeug.security import generate_password_hash

    from app.identity.guards import current_policy
    from app.identity.principal import Principal
    from app.platform.extensions import db
    from app.processes.queries import overview as process_overview
    from app.tasklist.queries import InboxQuery, list_tasks

    with common.pg_schema() as (schema, url), tempfile.TemporaryDirectory() as tmp:
        app = common.build_app(url, Path(tmp))
        app.config["WTF_CSRF_ENABLED"] = False
        try:
            with app.app_context():
                t0 = time.perf_counter()
                with db.engine.begin() as conn:
                    generate(conn, args.tasks, args.history, args.students, args.colleges)
                    counselor_id = args.students + 1
                    conn.execute(text("UPDATE user_account SET password_hash = :h WHERE id = :id"),
                                 {"h": generate_password_hash("bench-password"), "id": counselor_id})
                    counts = conn.exec_driver_sql(
                        "SELECT (SELECT count(*) FROM open_task), (SELECT count(*) FROM history_event)").one()
                print(f"generated {counts[0]:,} open tasks and {counts[1]:,} history events "
                      f"in {time.perf_counter() - t0:.1f} s")
                policy = current_policy()
                student = Principal(7, frozenset({"student"}), policy=policy)
                counselor = Principal(counselor_id, frozenset({"counselor"}), {"college": frozenset({1})},
                                      policy=policy)

                def query(principal, view):
                    def run():
                        page = list_tasks(principal, InboxQuery(view=view))
                        db.session.rollback()
                        return page
                    return run

                mine_n = query(student, "mine")().total
                groups_n = query(counselor, "groups")().total
                mine_p95, mine_med = p95_ms(query(student, "mine"), args.repeat)
                groups_p95, groups_med = p95_ms(query(counselor, "groups"), args.repeat)
                counselor_mine = p95_ms(query(counselor, "mine"), args.repeat)
                counselor_overdue = p95_ms(query(counselor, "overdue"), args.repeat)

                def processes():
                    found = process_overview(counselor, None, None)
                    db.session.rollback()
                    return found
                processes_n = sum(processes()[1].values())
                counselor_processes = p95_ms(processes, args.repeat)
            client = app.test_client()
            assert client.post("/login", data={"username": f"u{counselor_id}",
                                               "password": "bench-password"}).status_code == 302
            assert client.get("/").status_code == 200

            def page():
                resp = client.get("/")  # the landing view: his own tasks and his groups' waiting ones
                assert resp.status_code == 200
            page_p95, page_med = p95_ms(page, args.repeat)
        finally:
            common.release_app(app)
    print(f"\n{'':34}{'p95 ms':>10}{'median ms':>11}   rows")
    print(f"{'My tasks (student, addressed)':34}{mine_p95:10.1f}{mine_med:11.1f}   {mine_n}")
    print(f"{'My groups (counselor, 1 college)':34}{groups_p95:10.1f}{groups_med:11.1f}   {groups_n}")
    print(f"{'My tasks (counselor, with groups)':34}{counselor_mine[0]:10.1f}{counselor_mine[1]:11.1f}")
    print(f"{'Overdue (counselor, with groups)':34}{counselor_overdue[0]:10.1f}{counselor_overdue[1]:11.1f}")
    print(f"{'My processes (counselor, 1 college)':34}{counselor_processes[0]:10.1f}{counselor_processes[1]:11.1f}"
          f"   {processes_n}")
    print(f"{'landing page, rendered (counselor)':34}{page_p95:10.1f}{page_med:11.1f}")
    print("goals: <= 50 ms per query, <= 150 ms per page")
    common.emit_json({"my_tasks_p95_ms": round(mine_p95, 1), "my_groups_p95_ms": round(groups_p95, 1),
                      "counselor_my_tasks_p95_ms": round(counselor_mine[0], 1), "page_p95_ms": round(page_p95, 1),
                      "counselor_overdue_p95_ms": round(counselor_overdue[0], 1),
                      "counselor_processes_p95_ms": round(counselor_processes[0], 1), "open_tasks": counts[0], "history_events": counts[1]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
