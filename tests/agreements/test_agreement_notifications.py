"""What the agreement process tells people: the offer, a return for correction (with who and why), the next
signature, the agreement in force; each once, in the reader's language, never to the person who acted."""
from __future__ import annotations

from sqlalchemy import select

from app.agreements import services as agreements
from app.agreements.notices import offer_key
from app.notifications.models import Notification
from app.notifications.queries import was_notified
from app.notifications.render import render
from app.platform.extensions import db
from tests.agreements.test_agreement_helpers import (  # noqa: F401 - fixtures
    TERMS,
    agreement,
    complete,
    deployed,
    people,
    wait_task,
)

ACCEPT = {"student_decision": "accept", "student_phone": "13800001111", "student_email": "zsf@example.edu.cn"}


def notes(user_id: int, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if kind:
        query = query.where(Notification.kind == kind)
    try:
        return list(db.session.execute(query.order_by(Notification.id)).scalars())
    finally:
        db.session.rollback()


def shown(note: Notification, locale: str = "zh_CN") -> tuple[str, str]:
    return render(note.title, note.body, note.params, locale)


def test_the_offer_reaches_the_student_once_and_not_the_employer(people):
    student, student_no = people.student("李雷")
    _employer, hr = people.employer("北京星河科技有限公司")
    agreement_id = agreements.issue_offer(hr, student_no, TERMS)
    [offer] = notes(student, "agreement.offer_received")
    assert offer.dedup_key == offer_key(agreement_id) and was_notified(student, offer_key(agreement_id))
    title, body = shown(offer)
    assert title == "收到北京星河科技有限公司的签约邀请"
    assert TERMS["position"] in body and TERMS["work_location"] in body
    task = wait_task(agreement(agreement_id).instance_id, "student_respond")
    assert offer.link == f"/tasks/{task.task_guid}"
    assert shown(offer, "en")[0] == "New offer from 北京星河科技有限公司"
    assert not notes(student, "task.assigned")  # the offer says it all: no second, generic notification
    assert not notes(hr)  # the employer made the offer


def test_a_return_for_correction_says_who_returned_it_and_why(people):
    student, student_no = people.student("韩梅梅")
    _employer, hr = people.employer("江南数据股份有限公司")
    agreement_id = agreements.issue_offer(hr, student_no, TERMS)
    instance_id = agreement(agreement_id).instance_id
    complete(instance_id, "student_respond", ACCEPT, student)
    waiting = notes(people.counselor, "task.group_waiting")
    assert [shown(n)[0] for n in waiting] == ["待认领：辅导员审核"]  # the counselor of the student's college
    complete(instance_id, "counselor_review", {"counselor_decision": "return", "return_to": "student",
                                               "counselor_comment": "联系电话有误，请更正"}, people.counselor)
    [returned] = notes(student, "agreement.returned")
    title, body = shown(returned)
    assert title == "协议被退回修改：修改个人信息"
    assert "辅导员王老师" in body and "联系电话有误，请更正" in body
    assert shown(returned, "en")[0] == "Returned for correction: Correct personal details"


def test_the_next_signer_hears_who_signed_and_both_parties_hear_it_is_in_force(people):
    from app.agreements.models import Agreement

    student, student_no = people.student("张三丰")
    _employer, hr = people.employer("华辰科技有限公司")
    agreement_id = agreements.issue_offer(hr, student_no, TERMS)
    # straight to the last step of signing (the documents need a worker with LibreOffice: test_agreement_flow)
    row = db.session.get(Agreement, agreement_id)
    row.status, row.number = "signing", "2026-10001-B-999999"
    db.session.commit()
    agreements.set_status(agreement_id, "in_force", "in_force", None, None, job_key="test")
    agreements.set_status(agreement_id, "in_force", "in_force", None, None, job_key="test")  # a job run twice
    for user in (student, hr):
        [note] = notes(user, "agreement.in_force")
        assert shown(note)[0] == "三方协议 2026-10001-B-999999 已生效"
        assert note.link == f"/agreements/{agreement_id}"
