"""What every request costs the database before its own work: the account is loaded once, in one statement,
and the operation log entry written after the request's commit does not load it again."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from app.platform.extensions import db
from app.platform.oplog import OperationLog
from tests.web import ROLE_USERS


@contextmanager
def statements(web):
    seen: list[str] = []
    with web.app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_state_changing_request_loads_the_account_once_and_logs_who_acted(web):
    student = web.client(ROLE_USERS["student"])
    with statements(web) as seen:
        resp = student.post("/notifications/read-all")
    assert resp.status_code in (302, 303)
    account_reads = [s for s in seen if s.startswith("SELECT") and "FROM user_account" in s]
    assert len(account_reads) == 1, account_reads  # with its roles and scopes, not again after the commit
    assert not [s for s in seen if s.startswith("SELECT") and ("FROM user_role" in s or "FROM counselor_scope" in s)]
    entry = web.query(select(OperationLog.username, OperationLog.endpoint, OperationLog.outcome)
                      .order_by(OperationLog.id.desc()).limit(1))[0]
    assert tuple(entry) == (ROLE_USERS["student"], "notifications.read_all", "ok")


def test_the_accounts_language_answers_a_new_session(web):
    counselor = web.client("counselor_cs")
    assert counselor.post("/language", data={"lang": "en"}).status_code in (302, 303)
    try:
        fresh = web.client("counselor_cs")  # a session of its own: the language comes from the account
        assert "<h1>Notifications" in fresh.get("/notifications").get_data(as_text=True)
    finally:
        counselor.post("/language", data={"lang": "zh_CN"})
    assert "<h1>通知" in web.client("counselor_cs").get("/notifications").get_data(as_text=True)
