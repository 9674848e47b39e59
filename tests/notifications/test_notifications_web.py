"""Processes feed the notification centre (task ready for you / for your group, reassigned to you), and the
centre's pages: the bell's count, the list in the reader's language, opening one, marking all read, and
nobody sees anybody else's."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.engine.models import OpenTask
from app.identity.models import User
from app.notifications.models import Notification
from tests.web import ROLE_USERS

STUDENT_FORM = {"phone": "13800138000", "email": "zhangwei@example.edu.cn", "target_industry": "it",
                "target_city": "上海", "self_assessment": "学习认真，积极参加社会实践，具备良好的团队合作能力。"}


def user_id(web, username: str) -> int:
    return web.scalar(select(User.id).where(User.username == username))


def notifications(web, username: str, **where) -> list:
    query = select(Notification).where(Notification.user_id == user_id(web, username)).filter_by(**where)
    return [row[0] for row in web.query(query.order_by(Notification.id))]


def start_and_submit(web, username: str = ROLE_USERS["student"], first: list | None = None) -> tuple[int, str]:
    """A recommendation request by the student, submitted: (instance id, the counselor's task guid). The
    student's own first task's guid is appended to `first` when given."""
    student = web.client(username)
    guid = student.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    if first is not None:
        first.append(guid)
    assert student.post(f"/tasks/{guid}", data=STUDENT_FORM).status_code == 302
    instance = web.scalar(select(OpenTask.instance_id).where(OpenTask.task_guid == guid)) or web.scalar(
        select(OpenTask.instance_id).where(OpenTask.spec_id == "counselor_review").order_by(OpenTask.id.desc()))
    review = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance,
                                                         OpenTask.spec_id == "counselor_review"))
    return instance, review


def test_a_task_waiting_in_a_group_reaches_that_groups_people_in_scope_and_not_its_starter(web):
    first: list[str] = []
    _instance, review = start_and_submit(web, first=first)
    key = f"task:{review}:ready"
    cs = notifications(web, "counselor_cs", dedup_key=key)
    assert [(n.kind, n.link) for n in cs] == [("task.group_waiting", f"/tasks/{review}")]
    assert not notifications(web, "counselor_em", dedup_key=key)  # another college's counselor
    assert not notifications(web, "admin", dedup_key=key)  # administrators may take it but are not told
    # the student opened his own first task himself: nobody told him about it
    assert not notifications(web, ROLE_USERS["student"], dedup_key=f"task:{first[0]}:ready")
    assert first[0] not in {n.link.rsplit("/", 1)[-1] for n in notifications(web, ROLE_USERS["student"]) if n.link}


def test_a_task_given_to_someone_else_is_announced_to_them(web):
    _instance, review = start_and_submit(web)
    staff = web.client("staff1")
    counselor = user_id(web, "counselor_cs")
    resp = staff.post(f"/tasks/{review}/reassign", data={"user_id": str(counselor)})
    assert resp.status_code in (302, 303), resp.status_code
    given = notifications(web, "counselor_cs", dedup_key=f"task:{review}:to:{counselor}")
    assert [n.kind for n in given] == ["task.assigned"]


def test_the_bell_counts_and_the_list_reads_in_the_users_language(web):
    _instance, review = start_and_submit(web)
    counselor = web.client("counselor_cs")
    page = counselor.get("/notifications").get_data(as_text=True)
    assert "待认领：辅导员审核" in page and "就业推荐表申请" in page
    count = counselor.get("/notifications/unread-count").get_json()["unread"]
    assert count >= 1
    bell = re.search(r'<span class="badge" data-unread[^>]*>(\d+)</span>', counselor.get("/").get_data(as_text=True))
    assert bell and int(bell.group(1)) == count
    english = counselor.get("/notifications?lang=en").get_data(as_text=True)
    assert "Waiting in your group: Counselor review" in english
    assert "Employment recommendation request" in english


def test_opening_one_marks_it_read_and_goes_where_it_points(web):
    _instance, review = start_and_submit(web)
    counselor = web.client("counselor_cs")
    [mine] = notifications(web, "counselor_cs", dedup_key=f"task:{review}:ready")
    before = counselor.get("/notifications/unread-count").get_json()["unread"]
    resp = counselor.post(f"/notifications/{mine.id}/open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tasks/{review}")
    assert counselor.get("/notifications/unread-count").get_json()["unread"] == before - 1
    assert notifications(web, "counselor_cs", id=mine.id)[0].read_at is not None
    again = counselor.post(f"/notifications/{mine.id}/open", data={"stay": "1"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/notifications")


def test_nobody_opens_or_counts_another_users_notifications(web):
    _instance, review = start_and_submit(web)
    [theirs] = notifications(web, "counselor_cs", dedup_key=f"task:{review}:ready")
    other = web.client("counselor_em")
    assert other.post(f"/notifications/{theirs.id}/open").status_code == 404
    assert other.post("/notifications/999999999/open").status_code == 404
    assert f"/notifications/{theirs.id}/open" not in other.get("/notifications").get_data(as_text=True)
    other.post("/notifications/read-all")
    assert notifications(web, "counselor_cs", id=theirs.id)[0].read_at is None  # only the caller's own


def test_mark_all_read(web):
    start_and_submit(web)
    counselor = web.client("counselor_cs")
    assert counselor.get("/notifications/unread-count").get_json()["unread"] >= 1
    resp = counselor.post("/notifications/read-all", follow_redirects=True)
    assert "标为已读" in resp.get_data(as_text=True)
    assert counselor.get("/notifications/unread-count").get_json()["unread"] == 0
    assert 'data-unread hidden' in counselor.get("/notifications").get_data(as_text=True)


def test_the_offer_flash_says_the_student_was_notified_only_when_that_was_recorded(web, monkeypatch):
    from app.notifications import task_events
    from tests.agreements.test_agreement_web import OFFER, revoke_open_offers

    def flash_after_offer(student_no: str) -> str:
        revoke_open_offers(web, "hr_jiangnan", student_no)
        resp = web.client("hr_jiangnan").post("/agreements/new", data={"student_no": student_no, **OFFER},
                                              follow_redirects=True)
        assert resp.status_code == 200
        return re.search(r'<p class="flash success">([^<]*)</p>', resp.get_data(as_text=True)).group(1)

    assert flash_after_offer("2022030101") == "签约邀请已发出，已通知学生答复。"
    # the notification cannot be recorded (the offer's notice fails): the offer is sent, nobody claims otherwise
    broken = {key: (lambda task: 1 / 0) for key in task_events._notices}
    monkeypatch.setattr(task_events, "_notices", broken)
    assert flash_after_offer("2022020101") == "签约邀请已发出。"
