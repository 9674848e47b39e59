"""Every path of bpmn/interviews/interview_invitation.bpmn through the web and the real engine, on both
databases: declined with a reason; another time proposed and answered by the employer (accepted, a new time the
student answers again, withdrawn); the reminder timer before the interview; next round looping back to a new
invitation, then not passed; no answer by the deadline (the boundary timer). Each step's notification reaches
the side it concerns."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.engine.models import OpenTask, ProcessInstance
from app.identity.demo import DEMO_PASSWORD
from app.identity.models import User
from app.interviews import domain
from app.interviews.models import Invitation, Position
from app.notifications.models import Notification

LOCAL = ZoneInfo("Asia/Shanghai")
EMPLOYER = "hr_jiangnan"


def page(resp) -> str:
    return resp.get_data(as_text=True)


def local(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def new_student(web) -> tuple[str, int]:
    """A student account of its own (with the demo password, so that it can sign in)."""
    from app.identity.demo import add_accounts
    from app.platform.uow import unit_of_work

    username = f"2026{uuid.uuid4().hex[:6]}"
    with web.app.app_context():
        with unit_of_work() as uow:
            add_accounts(uow.session, [(username, f"路径学生{username[-4:]}", ["student"],
                                        {"student": ("FL01", "女", "")})], DEMO_PASSWORD, {})
            uow.commit()
    return username, web.scalar(select(User.id).where(User.username == username))


def employer_position(web) -> int:
    return web.scalar(select(Position.id).join(User, User.employer_id == Position.employer_id)
                      .where(User.username == EMPLOYER, Position.status == domain.PUBLISHED).order_by(Position.id))


def invite(web, student_no: str, start: datetime, expires: datetime) -> int:
    sent = web.client(EMPLOYER).post("/invitations/new", data={
        "student_no": student_no, "position_id": str(employer_position(web)), "place_kind": "room",
        "room": "江南银行大厦 8 楼 3 号会议室", "slot_start": local(start),
        "slot_end": local(start + timedelta(minutes=45)), "expires_at": local(expires), "message": "请带上成绩单"})
    assert sent.status_code == 303, page(sent)[:2000]
    return int(sent.headers["Location"].rsplit("/", 1)[-1])


def open_task(web, invitation_id: int, spec_id: str) -> str | None:
    return web.scalar(select(OpenTask.task_guid).where(OpenTask.business_key == domain.invitation_key(invitation_id),
                                                       OpenTask.spec_id == spec_id))


def do_task(client, guid: str | None, data: dict) -> None:
    assert guid is not None, "the task is not open"
    resp = client.post(f"/tasks/{guid}", data=data)
    assert resp.status_code in (302, 303), page(resp)[:3000]


def invitation(web, invitation_id: int) -> Invitation:
    return web.query(select(Invitation).where(Invitation.id == invitation_id))[0][0]


def notices_of(web, user_id: int, kind: str) -> list[Notification]:
    return [r[0] for r in web.query(select(Notification).where(Notification.user_id == user_id,
                                                                 Notification.kind == kind))]


def employer_user(web) -> int:
    return web.scalar(select(User.id).where(User.username == EMPLOYER))


def instance_status(web, invitation_id: int) -> str:
    return web.scalar(select(ProcessInstance.status).join(Invitation, Invitation.instance_id == ProcessInstance.id)
                      .where(Invitation.id == invitation_id))


def fire_timers_until(web, condition, what: str, timeout: float = 120.0):
    """What the scheduler does (fire due timers), until `condition()` holds; generous for a loaded machine."""
    from app.engine import timers

    deadline = time.monotonic() + timeout
    while True:
        with web.app.app_context():
            timers.fire_due()
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_a_declined_invitation_tells_the_employer_the_reason_and_ends(web):
    student_no, student_id = new_student(web)
    now = datetime.now(timezone.utc)
    invitation_id = invite(web, student_no, now + timedelta(days=2), now + timedelta(days=1))
    assert notices_of(web, student_id, "interview.invited"), "the student is told of the invitation"
    student = web.client(student_no)
    do_task(student, open_task(web, invitation_id, "student_answer"),
            {"answer": "decline", "decline_reason": "与期末考试时间冲突"})
    row = invitation(web, invitation_id)
    assert row.status == domain.DECLINED and row.answer_note == "与期末考试时间冲突"
    told = notices_of(web, employer_user(web), "interview.declined")
    assert any(n.params.get("reason") == "与期末考试时间冲突" for n in told)
    assert instance_status(web, invitation_id) == "completed"
    assert "与期末考试时间冲突" in page(web.client(EMPLOYER).get(f"/invitations/{invitation_id}"))


@pytest.mark.parametrize("decision", ["accept_proposal", "withdraw"])
def test_a_proposed_time_accepted_or_the_invitation_withdrawn(web, decision):
    student_no, student_id = new_student(web)
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    invitation_id = invite(web, student_no, now + timedelta(days=2), now + timedelta(days=1))
    proposed = now + timedelta(days=3)
    do_task(web.client(student_no), open_task(web, invitation_id, "student_answer"),
            {"answer": "propose", "proposed_start": local(proposed), "proposal_note": "那天在外地实习"})
    row = invitation(web, invitation_id)
    assert row.status == domain.PROPOSED and row.proposed_start == proposed
    hr = web.client(EMPLOYER)
    consider = open_task(web, invitation_id, "employer_consider")
    assert any(n.link == f"/tasks/{consider}" for n in notices_of(web, employer_user(web), "interview.proposed"))
    do_task(hr, consider, {"counter_decision": decision, "counter_note": "岗位已招满"})
    row = invitation(web, invitation_id)
    if decision == "accept_proposal":
        assert row.status == domain.ACCEPTED and row.slot_start == proposed
        assert row.slot_end - row.slot_start == timedelta(minutes=45)  # the length stays
        assert notices_of(web, student_id, "interview.rescheduled")
        assert open_task(web, invitation_id, "record_outcome") is not None
    else:
        assert row.status == domain.CANCELLED and row.cancelled_by == "employer" and row.cancel_reason == "岗位已招满"
        assert any(n.params.get("reason") == "岗位已招满" for n in notices_of(web, student_id, "interview.cancelled"))
        assert instance_status(web, invitation_id) == "completed"


def test_a_new_time_answered_again_reminded_next_round_then_not_passed(web):
    student_no, student_id = new_student(web)
    hr_id = employer_user(web)
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    invitation_id = invite(web, student_no, now + timedelta(days=2), now + timedelta(days=1))
    student, hr = web.client(student_no), web.client(EMPLOYER)
    do_task(student, open_task(web, invitation_id, "student_answer"),
            {"answer": "propose", "proposed_start": local(now + timedelta(days=4))})
    # the employer offers another time, soon: the student must answer it again before it starts
    soon = now + timedelta(minutes=90)
    do_task(hr, open_task(web, invitation_id, "employer_consider"),
            {"counter_decision": "new_slot", "new_start": local(soon), "new_expires": local(now + timedelta(minutes=80))})
    row = invitation(web, invitation_id)
    assert row.status == domain.INVITED and row.slot_start == soon and row.expires_at == now + timedelta(minutes=80)
    again = open_task(web, invitation_id, "student_answer")
    assert any(n.link == f"/tasks/{again}" for n in notices_of(web, student_id, "interview.rescheduled"))
    do_task(student, again, {"answer": "accept"})
    assert invitation(web, invitation_id).status == domain.ACCEPTED
    assert any(n.link == f"/invitations/{invitation_id}" for n in notices_of(web, hr_id, "interview.accepted"))
    # the interview is less than two hours away: the reminder timer is due at once, both sides are reminded
    fire_timers_until(web, lambda: notices_of(web, student_id, "interview.reminder")
                      and notices_of(web, hr_id, "interview.reminder"), "the reminders")
    assert open_task(web, invitation_id, "record_outcome") is not None  # a reminder does not end the waiting
    # next round: the employer schedules it, the student answers a new invitation (round 2)
    do_task(hr, open_task(web, invitation_id, "record_outcome"), {"outcome": "next_round", "outcome_note": "表现不错"})
    assert notices_of(web, student_id, "interview.next_round")
    second = now + timedelta(days=5)
    do_task(hr, open_task(web, invitation_id, "schedule_next"), {
        "next_start": local(second), "next_expires": local(now + timedelta(days=4)), "next_place_kind": "online",
        "next_url": "https://meeting.example.com/round2", "next_message": "二面由部门经理主持"})
    row = invitation(web, invitation_id)
    assert (row.round, row.status, row.slot_start, row.place_kind, row.online_url, row.outcome) == (
        2, domain.INVITED, second, domain.PLACE_ONLINE, "https://meeting.example.com/round2", None)
    round_two = open_task(web, invitation_id, "student_answer")
    assert any(n.link == f"/tasks/{round_two}" for n in notices_of(web, student_id, "interview.invited"))
    do_task(student, round_two, {"answer": "accept"})
    do_task(hr, open_task(web, invitation_id, "record_outcome"), {"outcome": "reject", "outcome_note": "岗位要求更多经验"})
    row = invitation(web, invitation_id)
    assert row.status == domain.NOT_PASSED and row.outcome == domain.OUTCOME_REJECT
    assert any(n.params.get("note") == "岗位要求更多经验" for n in notices_of(web, student_id, "interview.not_passed"))
    assert instance_status(web, invitation_id) == "completed"
    assert "岗位要求更多经验" in page(student.get(f"/invitations/{invitation_id}"))


def test_no_answer_by_the_deadline_expires_by_the_boundary_timer(web):
    """The answer deadline is a few seconds away (made through the service: the page takes whole minutes)."""
    from app.interviews import invitations
    from app.interviews.invitations import Place

    student_no, student_id = new_student(web)
    now = datetime.now(timezone.utc)
    with web.app.app_context():
        invitation_id = invitations.invite(
            employer_user(web), student_id, employer_position(web),
            domain.Slot(now + timedelta(days=1), now + timedelta(days=1, minutes=30)),
            Place(domain.PLACE_ROOM, room="江南银行大厦 8 楼"), now + timedelta(seconds=2))
    assert open_task(web, invitation_id, "student_answer") is not None
    fire_timers_until(web, lambda: invitation(web, invitation_id).status == domain.EXPIRED, "the expiry")
    assert open_task(web, invitation_id, "student_answer") is None
    assert instance_status(web, invitation_id) == "completed"
    assert any(n.link == f"/invitations/{invitation_id}" for n in notices_of(web, employer_user(web), "interview.expired"))
    # too late to answer now: the student's page says so, and nothing changes
    assert web.client(student_no).get(f"/invitations/{invitation_id}").status_code == 200
    assert invitation(web, invitation_id).status == domain.EXPIRED
