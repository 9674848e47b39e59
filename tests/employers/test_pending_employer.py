"""An employer account whose organisation waits for the career office's approval signs in, lands on its
organisation's status and is offered nothing it may not do yet; once approved it works as an employer."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.employers.domain import employer_key
from app.engine.models import OpenTask
from app.identity.models import Employer
from tests.agreements.test_agreement_web import OFFER, registration


def text(resp) -> str:
    return resp.get_data(as_text=True)


def nav(html: str) -> str:
    return re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)


def test_a_pending_employer_sees_its_status_and_nothing_it_may_not_do(web, unique):
    resp = web.client(None).post("/employers/register", data=registration(unique), content_type="multipart/form-data")
    assert resp.status_code == 302
    done = text(web.client(None).get("/employers/register/done"))
    assert "现在即可使用您设置的用户名和密码登录" in done

    client = web.app.test_client()
    login = client.post("/login", data={"username": f"hr_{unique}", "password": "Sicher-Passwort-1"})
    assert login.status_code == 302 and login.headers["Location"].endswith("/employers/status")
    page = text(client.get("/employers/status"))
    assert f"测试科技有限公司{unique}" in page and 'data-employer-status="pending"' in page
    assert "民营企业" in page and ">private<" not in page
    menu = nav(page)
    assert "/employers/status" in menu
    for promise in ("/agreements/new", "/agreements/", "/positions", "/fairs", "/processes", 'href="/"'):
        assert promise not in menu, promise
    for path in ("/", "/agreements/new", "/agreements/", "/processes/", "/positions/"):
        assert client.get(path).status_code in (403, 404), path
    assert client.post("/agreements/new", data={"student_no": "2022010101", **OFFER}).status_code == 403
    assert client.get("/home").headers["Location"].endswith("/employers/status")

    # the career office approves: the same session now works as an employer
    employer_id = web.scalar(select(Employer.id).where(Employer.name == f"测试科技有限公司{unique}"))
    guid = web.scalar(select(OpenTask.task_guid).where(OpenTask.business_key == employer_key(employer_id)))
    staff = web.client("staff1")
    assert staff.post(f"/tasks/{guid}/claim").status_code == 302
    assert staff.post(f"/tasks/{guid}", data={"__action__": "submit", "qualification_decision": "approve",
                                             "qualification_comment": "资质齐全，同意"}).status_code == 302
    page = text(client.get("/employers/status"))
    assert 'data-employer-status="approved"' in page and "/agreements/new" in nav(page)
    assert client.get("/agreements/new").status_code == 200
    assert client.get("/home").headers["Location"].endswith("/")


def test_a_rejected_employer_reads_why(web, unique):
    web.client(None).post("/employers/register", data=registration(unique), content_type="multipart/form-data")
    employer_id = web.scalar(select(Employer.id).where(Employer.name == f"测试科技有限公司{unique}"))
    guid = web.scalar(select(OpenTask.task_guid).where(OpenTask.business_key == employer_key(employer_id)))
    staff = web.client("staff1")
    staff.post(f"/tasks/{guid}/claim")
    assert staff.post(f"/tasks/{guid}", data={"__action__": "submit", "qualification_decision": "reject",
                                             "qualification_comment": "营业执照不清晰，请重新注册"}).status_code == 302
    client = web.app.test_client()
    client.post("/login", data={"username": f"hr_{unique}", "password": "Sicher-Passwort-1"})
    page = text(client.get("/employers/status"))
    assert 'data-employer-status="rejected"' in page and "营业执照不清晰" in page
    assert client.get("/agreements/new").status_code == 403
