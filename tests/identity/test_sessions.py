"""Sessions end for real: sign-out, a password change and deactivation remove the server-side session, so a
replayed cookie gets the login page; staff and admins have a shorter idle time and lifetime."""
from __future__ import annotations

import time

import pytest
from werkzeug.security import generate_password_hash

from app.identity.demo import DEMO_PASSWORD
from app.identity.models import User, UserRole

COOKIE = "session"
NEW_PASSWORD = "Neues#Passwort2026"


@pytest.fixture
def account(web, unique) -> str:
    """A student account of this test's own (its password and sessions change here)."""
    username = f"s{unique}"
    web.add(User(username=username, display_name="会话测试", password_hash=generate_password_hash(DEMO_PASSWORD),
                 roles=[UserRole(role="student")]))
    return username


def _sid(client) -> str:
    return client.get_cookie(COOKIE).value


def _replay(web, sid: str):
    """A fresh browser that presents an old session cookie."""
    client = web.app.test_client()
    client.set_cookie(COOKIE, sid)
    return client.get("/")


def _signed_out(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def _records(web, sid: str) -> int:
    from app.platform.queue import redis_connection
    from app.platform.sessions import _record_key

    with web.app.app_context():
        return redis_connection().exists(_record_key(sid))


def test_replayed_cookie_after_sign_out_gets_the_login_page(web, account):
    client = web.client(account)
    sid = _sid(client)
    assert _replay(web, sid).status_code == 200  # the same cookie works while signed in
    assert client.post("/logout").status_code == 302
    assert _signed_out(_replay(web, sid))
    assert _records(web, sid) == 0


def test_sign_in_issues_a_new_session_id(web, account):
    client = web.app.test_client()
    client.get("/login")  # an anonymous session (the form's CSRF token)
    client.post("/language", data={"lang": "en"})
    before = _sid(client)
    client.post("/login", data={"username": account, "password": DEMO_PASSWORD})
    assert _sid(client) != before
    assert _signed_out(_replay(web, before))


def test_password_change_ends_every_other_session(web, account):
    here, elsewhere = web.client(account), web.client(account)
    old = _sid(here)
    page = here.get("/account/password")
    assert page.status_code == 200 and 'name="repeated"' in page.get_data(as_text=True)
    resp = here.post("/account/password", data={"current": DEMO_PASSWORD, "new": NEW_PASSWORD,
                                                "repeated": NEW_PASSWORD})
    assert resp.status_code == 302
    assert here.get("/").status_code == 200  # this browser goes on, under a new id
    assert _sid(here) != old
    assert _signed_out(elsewhere.get("/"))
    assert _signed_out(_replay(web, old))
    fresh = web.app.test_client()
    assert fresh.post("/login", data={"username": account, "password": DEMO_PASSWORD}).status_code == 401
    assert fresh.post("/login", data={"username": account, "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize(("form", "field_text"), [
    ({"current": "wrong", "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}, "当前密码不正确"),
    ({"current": DEMO_PASSWORD, "new": "short1", "repeated": "short1"}, "至少 8 个字符"),
    ({"current": DEMO_PASSWORD, "new": "abcdefghij", "repeated": "abcdefghij"}, "字母"),
    ({"current": DEMO_PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD + "x"}, "两次输入的新密码不一致"),
])
def test_a_refused_password_change_changes_nothing(web, account, form, field_text):
    client, other = web.client(account), web.client(account)
    resp = client.post("/account/password", data=form)
    assert resp.status_code == 422
    assert field_text in resp.get_data(as_text=True)
    assert other.get("/").status_code == 200  # no session ended
    assert web.app.test_client().post("/login", data={"username": account, "password": DEMO_PASSWORD}).status_code == 302


def test_deactivation_ends_the_sessions(web, account):
    client = web.client(account)
    sid = _sid(client)
    runner = web.app.test_cli_runner()
    result = runner.invoke(args=["accounts", "deactivate", account])
    assert result.exit_code == 0, result.output
    assert _records(web, sid) == 0
    assert _signed_out(client.get("/"))
    assert runner.invoke(args=["accounts", "activate", account]).exit_code == 0
    assert _signed_out(_replay(web, sid))  # reactivated: the old session stays ended
    assert runner.invoke(args=["accounts", "deactivate", "no-such-user"]).exit_code != 0


def test_staff_sessions_are_shorter(web, account, monkeypatch):
    from app.platform import sessions
    from app.platform.queue import redis_connection

    config = web.app.config
    staff, student = web.client("staff2"), web.client(account)
    with web.app.app_context():
        ttl_staff = redis_connection().ttl(sessions._record_key(_sid(staff)))
        ttl_student = redis_connection().ttl(sessions._record_key(_sid(student)))
    assert 0 < ttl_staff <= config["STAFF_SESSION_IDLE_S"] < ttl_student <= config["SESSION_IDLE_S"]
    # past a staff session's lifetime (each request renews the idle time, never the lifetime)
    later = time.time() + config["STAFF_SESSION_MAX_S"] + 60
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    assert _signed_out(staff.get("/"))
    assert student.get("/").status_code == 200


def test_guessing_the_current_password_is_throttled(web, account):
    client = web.client(account)
    wrong = {"current": "guess", "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    for _ in range(5):
        assert client.post("/account/password", data=wrong).status_code == 422
    right = {"current": DEMO_PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    assert client.post("/account/password", data=right).status_code == 429
    assert web.client("2022010102").get("/").status_code == 200  # others at the same address still sign in
