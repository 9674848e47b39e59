"""Recruiting through the web, on both databases, with the real processes and the demo university: a position
from writing to review (flagged wording returned), search, applying with a résumé, screening, an invitation
answered and ending in an offer whose agreement links back; a fair from its creation to a booth's queue with a
QR check-in, a call and an offer at the booth; Chinese search giving the same results as its definition."""
from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.agreements.models import Agreement
from app.engine.models import OpenTask
from app.identity.models import User
from app.interviews import domain, positions, queries, text_search
from app.interviews import queue_rules as rules
from app.interviews.models import Booth, Invitation, JobFair, Position, QueueTicket, ResumeAccess
from app.platform.extensions import db
from tests.web import ROLE_USERS

LOCAL = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n% a resume\n%%EOF\n"


def page(resp) -> str:
    return resp.get_data(as_text=True)


def position_form(title: str, description: str = "负责后端服务开发，熟悉 Python 与 SQL。", **changes) -> dict:
    form = {"title": title, "description": description, "city": "上海", "work_location": "上海市浦东新区张江路 88 号",
            "degree": "本科", "headcount": "2", "pay_min": "10000", "pay_max": "15000", "deadline": "",
            "probation_months": "3", "contract_years": "3", "breach_terms": "违约金 5000 元",
            "other_clauses": "无", "archive_address": "上海市人才服务中心"}
    form.update(changes)
    return form


def task_of(web, business_key: str, spec_id: str) -> str | None:
    return web.scalar(select(OpenTask.task_guid).where(OpenTask.business_key == business_key,
                                                       OpenTask.spec_id == spec_id))


def complete_group_task(client, guid: str, data: dict):
    assert client.post(f"/tasks/{guid}/claim").status_code in (302, 303)
    resp = client.post(f"/tasks/{guid}", data=data)
    assert resp.status_code in (302, 303), page(resp)[:2000]


def test_a_position_from_draft_to_applicants(web):
    hr, staff, student = web.client("hr_huachen"), web.client("staff1"), web.client(ROLE_USERS["student"])
    title = f"算法工程师{uuid.uuid4().hex[:6]}"
    # field errors keep the input and store nothing
    bad = hr.post("/positions/new", data=position_form(title, pay_min="abc", pay_max="5"))
    assert bad.status_code == 422 and f'value="{title}"' in page(bad)
    assert web.scalar(select(Position.id).where(Position.title == title)) is None
    created = hr.post("/positions/new", data=position_form(title, "要求：限男性，35岁以下，熟悉 C++。"))
    assert created.status_code == 303
    position_id = int(created.headers["Location"].rsplit("/", 1)[-1])
    shown = page(hr.get(f"/positions/{position_id}"))
    assert "限男性" in shown and "35岁以下" in shown and "chip flag" in shown  # the employer sees what will not pass
    assert student.get(f"/positions/{position_id}").status_code == 404  # a draft is nobody else's business
    assert hr.post(f"/positions/{position_id}/submit").status_code == 303
    review = task_of(web, domain.position_key(position_id), "position_check")
    assert staff.post(f"/tasks/{review}/claim").status_code in (302, 303)
    form = page(staff.get(f"/tasks/{review}"))
    assert "性别：限男性" in form and "年龄：35岁以下" in form  # flagged for the reviewer
    assert staff.post(f"/tasks/{review}", data={"position_decision": "approve", "review_comment": "同意"}
                      ).status_code in (302, 303)
    row = web.query(select(Position.status, Position.review_comment).where(Position.id == position_id))[0]
    assert row.status == domain.RETURNED and "限男" in row.review_comment  # approving flagged wording returns it
    # the employer changes the wording and submits again; approved, it is public and found
    edited = hr.post(f"/positions/{position_id}/edit", data=position_form(title, "熟悉 C++ 与机器学习，性别不限。"))
    assert edited.status_code == 303
    hr.post(f"/positions/{position_id}/submit")
    complete_group_task(staff, task_of(web, domain.position_key(position_id), "position_check"),
                        {"position_decision": "approve", "review_comment": "同意发布"})
    assert web.scalar(select(Position.status).where(Position.id == position_id)) == domain.PUBLISHED
    found = page(student.get("/positions/", query_string={"q": "机器学习 上海"}))
    assert title in found
    assert title not in page(student.get("/positions/", query_string={"q": "机器学习 北京"}))
    # the student applies with his résumé (a file that is no PDF is refused, nothing kept)
    refused = student.post(f"/positions/{position_id}/apply", data={"resume": (io.BytesIO(b"MZ"), "cv.pdf")},
                           content_type="multipart/form-data")
    assert refused.status_code == 303
    applied = student.post(f"/positions/{position_id}/apply", data={"resume": (io.BytesIO(PDF), "张伟简历.pdf"),
                                                                   "note": "期待面试"},
                           content_type="multipart/form-data")
    assert applied.status_code == 303
    applicants = page(hr.get(f"/positions/{position_id}/applicants"))
    assert "张伟简历.pdf" in applicants and "期待面试" in applicants
    application_id = int(re.search(r"/positions/applications/(\d+)/resume", applicants)[1])
    resume = hr.get(f"/positions/applications/{application_id}/resume")
    assert resume.status_code == 200 and resume.data == PDF
    assert web.scalar(select(ResumeAccess.id).where(ResumeAccess.application_id == application_id)) is not None
    mine = page(student.get("/positions/applications"))
    assert "华辰科技 招聘专员 刘女士" in mine  # the student sees who opened his résumé
    # another employer sees neither the applicants nor the résumé
    other = web.client("hr_jiangnan")
    assert other.get(f"/positions/{position_id}/applicants").status_code == 404
    assert other.get(f"/positions/applications/{application_id}/resume").status_code == 404
    # screening: the reason reaches the student
    hr.post(f"/positions/applications/{application_id}/screen", data={"decision": "shortlist"})
    assert "已入围" in page(student.get("/positions/applications")) or "Shortlisted" in page(
        student.get("/positions/applications"))


def test_an_invitation_answered_interviewed_and_offered_links_to_its_agreement(web):
    hr, student = web.client("hr_jiangnan"), web.client("2022030101")
    position_id = web.scalar(select(Position.id).join(User, User.employer_id == Position.employer_id)
                             .where(User.username == "hr_jiangnan", Position.status == domain.PUBLISHED))
    _revoke_open(web, "2022030101", position_id)
    start = (datetime.now(timezone.utc) + timedelta(days=2)).astimezone(LOCAL).replace(second=0, microsecond=0)
    form = {"student_no": "2022030101", "position_id": str(position_id), "place_kind": "online",
            "online_url": "https://meet.example.com/x", "slot_start": start.strftime("%Y-%m-%dT%H:%M"),
            "slot_end": (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
            "expires_at": (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "message": "请准备自我介绍"}
    refused = hr.post("/invitations/new", data={**form, "expires_at": (start + timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M")})
    assert refused.status_code == 422  # the answer must come before the interview
    sent = hr.post("/invitations/new", data=form)
    assert sent.status_code == 303, page(sent)[:2000]
    invitation_id = int(sent.headers["Location"].rsplit("/", 1)[-1])
    key = domain.invitation_key(invitation_id)
    answer = task_of(web, key, "student_answer")
    assert answer in page(student.get("/"))  # in his inbox
    assert student.post(f"/tasks/{answer}", data={"answer": "accept"}).status_code == 302
    assert web.scalar(select(Invitation.status).where(Invitation.id == invitation_id)) == domain.ACCEPTED
    outcome = task_of(web, key, "record_outcome")
    assert hr.post(f"/tasks/{outcome}", data={"outcome": "offer", "offer_pay": "9500",
                                              "outcome_note": "欢迎加入"}).status_code == 302
    row = web.query(select(Invitation).where(Invitation.id == invitation_id))[0][0]
    assert row.status == domain.OFFERED and row.agreement_id and row.agreement_instance_id
    agreement = web.query(select(Agreement).where(Agreement.id == row.agreement_id))[0][0]
    assert agreement.terms["monthly_pay"] == 9500 and agreement.origin == {
        "kind": "interview", "path": f"/invitations/{invitation_id}", "instance_id": row.instance_id}
    # linked both ways, and the agreement waits in the student's inbox
    assert f"/agreements/{row.agreement_id}" in page(student.get(f"/invitations/{invitation_id}"))
    agreement_page = page(student.get(f"/agreements/{row.agreement_id}"))
    assert f'href="/invitations/{invitation_id}"' in agreement_page
    assert task_of(web, f"AGR-{row.agreement_id}", "student_respond") in page(student.get("/"))
    _revoke_open(web, "2022030101", position_id)


def _revoke_open(web, student_no: str, position_id: int) -> None:
    """Leave no open invitation or offer behind for the next test."""
    student_id = web.scalar(select(User.id).where(User.username == student_no))
    for (invitation_id,) in web.query(select(Invitation.id).where(Invitation.student_id == student_id,
                                                                  Invitation.position_id == position_id,
                                                                  Invitation.status.in_(domain.OPEN_INVITATION))):
        web.client(student_no).post(f"/invitations/{invitation_id}/cancel", data={"reason": "测试结束"})
    for (agreement_id,) in web.query(select(Agreement.id).where(Agreement.student_id == student_id,
                                                                Agreement.status == "offered")):
        web.client("hr_jiangnan").post(f"/agreements/{agreement_id}/revoke", data={"reason": "测试结束"})


def test_cancelling_tells_the_other_side_and_ends_the_process(web):
    hr, student = web.client("hr_jiangnan"), web.client("2022020101")
    position_id = web.scalar(select(Position.id).join(User, User.employer_id == Position.employer_id)
                             .where(User.username == "hr_jiangnan", Position.status == domain.PUBLISHED))
    _revoke_open(web, "2022020101", position_id)
    start = (datetime.now(timezone.utc) + timedelta(days=3)).astimezone(LOCAL)
    sent = hr.post("/invitations/new", data={
        "student_no": "2022020101", "position_id": str(position_id), "place_kind": "room", "room": "12 楼会议室",
        "slot_start": start.strftime("%Y-%m-%dT%H:%M"), "slot_end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "expires_at": (start - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")})
    invitation_id = int(sent.headers["Location"].rsplit("/", 1)[-1])
    assert student.post(f"/invitations/{invitation_id}/cancel", data={"reason": ""}).status_code == 303
    assert web.scalar(select(Invitation.status).where(Invitation.id == invitation_id)) == domain.INVITED
    student.post(f"/invitations/{invitation_id}/cancel", data={"reason": "已签约其他单位"})
    assert web.scalar(select(Invitation.status).where(Invitation.id == invitation_id)) == domain.CANCELLED
    assert task_of(web, domain.invitation_key(invitation_id), "student_answer") is None  # the process ended
    assert "已签约其他单位" in page(hr.get("/notifications"))


def test_a_fair_from_creation_to_an_offer_at_the_booth(web):
    staff, hr, student = web.client("staff1"), web.client("hr_jiangnan"), web.client("2022010102")
    now = datetime.now(timezone.utc).astimezone(LOCAL)
    title = f"测试双选会{uuid.uuid4().hex[:6]}"
    created = staff.post("/fairs/new", data={
        "title": title, "venue": "体育馆", "day": now.date().isoformat(), "booth_deadline": now.date().isoformat(),
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "capacity": "100", "no_show_minutes": "3",
        "pause_minutes": "5", "halls": "A,一号馆,1,3; B,二号馆,1,2"})
    assert created.status_code == 303, page(created)[:3000]
    fair_id = int(created.headers["Location"].rsplit("/", 1)[-1])
    assert student.get(f"/fairs/{fair_id}").status_code == 404  # a draft
    staff.post(f"/fairs/{fair_id}/status", data={"status": "open"})
    positions_of = [p.id for p in web.query(select(Position.id).join(User, User.employer_id == Position.employer_id)
                                            .where(User.username == "hr_jiangnan", Position.status == domain.PUBLISHED))]
    assert hr.post(f"/fairs/{fair_id}/booth-application",
                   data={"positions": [str(p) for p in positions_of], "hall": "B"}).status_code == 303
    application = web.scalar(select(OpenTask.task_guid).where(OpenTask.spec_id == "booth_check")
                             .order_by(OpenTask.id.desc()))
    complete_group_task(staff, application, {"booth_decision": "approve"})
    booth_id, code = web.query(select(Booth.id, Booth.code).join(User, User.employer_id == Booth.employer_id)
                               .where(Booth.fair_id == fair_id, User.username == "hr_jiangnan"))[0]
    assert code == "B01"  # the first free booth of the hall asked for
    # the QR poster's link, opened on the student's phone
    poster = page(hr.get(f"/booths/{booth_id}/qr"))
    assert "<svg" in poster
    url = re.search(r"https?://[^\s<\"]+/checkin/[A-Za-z0-9_.\-]+", poster)[0]
    path = "/" + url.split("/", 3)[3]
    assert student.get(path).status_code == 200
    assert student.post(path).status_code == 303
    assert web.client(None).get(path.replace("checkin/", "checkin/x")).status_code in (302, 404)
    assert student.get(path[:-4] + "AAAA").status_code == 404  # a token changed by hand: no such booth
    mine = student.get(f"/fairs/{fair_id}/me.json").get_json()
    assert [(t["booth_code"], t["number"], t["status"], t["position"]) for t in mine["tickets"]] == [
        ("B01", "001", rules.WAITING, 1)]
    board = web.client(None).get(f"/fairs/{fair_id}/halls/{web.scalar(select(Booth.hall_id).where(Booth.id == booth_id))}/board.json")
    assert board.get_json()["booths"][0]["next"] == ["001"]
    # the employer calls: the student is called
    assert hr.post(f"/booths/{booth_id}/call").status_code == 303
    assert student.get(f"/fairs/{fair_id}/me.json").get_json()["tickets"][0]["status"] == rules.CALLED
    ticket_id = mine["tickets"][0]["id"]
    hr.post(f"/booths/{booth_id}/tickets/{ticket_id}/start")
    finished = hr.post(f"/booths/{booth_id}/tickets/{ticket_id}/finish",
                       data={"outcome": "offer", "position_id": str(positions_of[0]), "monthly_pay": "8800"})
    assert finished.status_code == 303
    ticket = web.query(select(QueueTicket).where(QueueTicket.id == ticket_id))[0][0]
    assert ticket.status == rules.DONE and ticket.outcome == "offer" and ticket.agreement_id
    agreement = web.query(select(Agreement).where(Agreement.id == ticket.agreement_id))[0][0]
    assert agreement.terms["monthly_pay"] == 8800 and agreement.origin["path"] == f"/fairs/tickets/{ticket_id}"
    assert task_of(web, f"AGR-{agreement.id}", "student_respond") in page(student.get("/"))
    web.client("hr_jiangnan").post(f"/agreements/{agreement.id}/revoke", data={"reason": "测试结束"})
    # the fair's staff overview and kiosk
    overview = staff.get(f"/fairs/{fair_id}/overview.json").get_json()
    assert overview["counts"] == {"registered": 1, "checked_in": 1}
    kiosk = staff.post(f"/fairs/{fair_id}/kiosk", data={"student_no": "2022010102", "booth": str(booth_id)})
    assert kiosk.status_code == 200 and "B01" in page(kiosk)


@pytest.fixture
def search_corpus(web):
    """Published positions with known texts (made through the service, so their tokens too)."""
    tag = uuid.uuid4().hex[:6]
    texts = [("软件工程师", "深圳", "Java 与 Go 后端开发"), ("会计", "上海", "审计与税务"),
             ("工程管理", "北京", "软件 项目管理"), ("外贸业务员", "上海", "英语 日语"), ("Java 讲师", "深圳", "培训 教学")]
    user = web.scalar(select(User.id).where(User.username == "hr_huachen"))
    made = []
    with web.app.app_context():
        for title, city, description in texts:
            data = domain.PositionInput(f"{title}{tag}", description, (), "本科", city, city, 8000, 9000, 1, None, 3, 3,
                                        "无违约金", "无", "地址", False)
            position_id = positions.save_position(user, data)
            db.session.execute(Position.__table__.update().where(Position.id == position_id).values(
                status=domain.PUBLISHED, published_at=datetime.now(timezone.utc)))
            db.session.commit()
            made.append(position_id)
        db.session.remove()
    return tag, made


QUERIES = ["软件", "工程师", "软件工程", "上海", "java 深圳", "Java深圳", "会", "审计 上海", "程管", "日语", "管理 北京",
           "学", "Ｊａｖａ", "100%", "x_y"]


def test_chinese_search_gives_what_its_definition_says_on_this_database(web, search_corpus):
    """For each query, the positions the database finds are exactly those whose normalised text contains every
    term (the definition, computed here in Python); so both databases give the same results."""
    tag, made = search_corpus
    with web.app.app_context():
        texts = dict(db.session.execute(select(Position.id, Position.search_text).where(Position.id.in_(made))).all())
        for query in QUERIES:
            terms = text_search.terms(f"{query} {tag}")
            expected = {i for i, text in texts.items() if text_search.matches(text, terms)}
            found = set(db.session.execute(queries.matching_position_ids(f"{query} {tag}")).scalars())
            assert found == expected, query
        assert set(db.session.execute(queries.matching_position_ids(f"软件 {tag}")).scalars()) == {made[0], made[2]}
        db.session.remove()
