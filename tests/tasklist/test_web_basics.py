"""What every page shares: CSRF protection, languages, error pages, drafts."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.engine.models import OpenTask, TaskDraft
from tests.web import ROLE_USERS


def test_csrf_token_is_required(web):
    web.app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = web.app.test_client()
        page = client.get("/login").get_data(as_text=True)
        assert client.post("/login", data={"username": "staff1", "password": "Demo@2026"}).status_code == 400
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        ok = client.post("/login", data={"username": "staff1", "password": "Demo@2026", "csrf_token": token})
        assert ok.status_code == 302
    finally:
        web.app.config["WTF_CSRF_ENABLED"] = False


def test_chinese_by_default_english_on_request(web):
    client = web.client("staff2")
    assert "我的待办" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/"})
    try:
        page = client.get("/").get_data(as_text=True)
        assert "My tasks" in page and 'lang="en"' in page
        assert "My tasks" in web.client("staff2").get("/").get_data(as_text=True)  # kept with the account
    finally:
        client.post("/language", data={"lang": "zh_CN", "next": "/"})


def test_error_pages_are_pages_not_tracebacks(web):
    client = web.client(ROLE_USERS["student"])
    resp = client.get("/tasks/not-a-task")
    assert resp.status_code == 404 and "Traceback" not in resp.get_data(as_text=True)
    assert client.get("/?due_before=yesterday").status_code == 400
    assert client.get("/?view=nonsense").status_code == 404


def test_draft_saved_without_completing(web):
    student = web.client("2022030101")
    guid = student.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    resp = student.post(f"/tasks/{guid}", data={"__action__": "save", "target_city": "成都", "phone": "12"})
    assert resp.status_code == 302
    assert web.scalar(select(OpenTask.id).where(OpenTask.task_guid == guid)) is not None  # still open
    assert web.scalar(select(TaskDraft.data).where(TaskDraft.task_guid == guid))["target_city"] == "成都"
    assert 'value="成都"' in student.get(f"/tasks/{guid}").get_data(as_text=True)


def test_public_forms_are_rate_limited(web, unique):
    client = web.app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.77.{int(unique[:2], 16)}.{int(unique[2:4], 16)}"
    web.app.config["PUBLIC_POSTS_PER_WINDOW"] = 3
    try:
        codes = [client.post("/verify", data={}).status_code for _ in range(4)]
    finally:
        web.app.config["PUBLIC_POSTS_PER_WINDOW"] = 10_000
    assert codes[:3] == [400, 400, 400] and codes[3] == 429
    assert client.get("/verify").status_code == 200  # reading the page is not limited


def test_pager_keeps_the_filters(web):
    from flask import render_template_string

    class Result:
        page, pages = 2, 3

    with web.app.test_request_context("/?view=groups&page=2&sort=due"):
        html = render_template_string('{% from "_macros.html" import pager %}'
                                      '{{ pager(result, "inbox.index", request.args.to_dict()) }}', result=Result())
    assert "page=1&amp;view=groups&amp;sort=due" in html and "page=3&amp;view=groups&amp;sort=due" in html
