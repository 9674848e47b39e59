"""Agreement rules through the services and the engine, jobs run in-process (RQ synchronous): offers and
their refusals, decline, expiry, revoke, the busy-student rule, numbering, DB constraints, the evidence
chain and `flask evidence-check`, employer registration and its qualification review."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app import engine
from app.agreements import chain, domain, evidence
from app.agreements import queries as agreement_queries
from app.agreements import services as agreements
from app.agreements.models import Agreement, EvidenceEntry
from app.agreements.services import AgreementError
from app.employers import queries as employer_queries
from app.employers import services as employers
from app.engine import timers
from app.engine.models import OpenTask, OpenTaskOwner, ProcessInstance
from app.identity.models import Employer, User
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.sequences import next_value
from app.platform.uow import unit_of_work
from tests.agreements.test_agreement_helpers import (  # noqa: F401 - fixtures
    TERMS,
    agreement,
    complete,
    credit_code,
    deployed,
    open_task,
    people,
)

ACCEPT = {"student_decision": "accept", "student_phone": "13800001111", "student_email": "zsf@example.edu.cn"}


def acts(agreement_id: int) -> list[str]:
    rows = [e.act for e in evidence.entries(agreement_id)]
    db.session.rollback()
    return rows


def test_offer_starts_the_process_for_the_student(people):
    student, student_no = people.student()
    _employer, hr = people.employer()
    agreement_id = agreements.issue_offer(hr, student_no, {**TERMS, "student_no": student_no}, "10.0.0.8")
    row = agreement(agreement_id)
    assert row.status == "offered" and row.terms == TERMS and row.created_by == hr
    assert row.response_deadline is not None and row.instance_id is not None
    instance = db.session.get(ProcessInstance, row.instance_id)
    assert instance.business_key == f"AGR-{agreement_id}" and instance.process_key == "tripartite_agreement"
    assert engine.scope_of(instance.id) == {"college": str(people.college.id), "employer": str(row.employer_id)}
    task = open_task(row.instance_id, "student_respond")
    owners = db.session.execute(select(OpenTaskOwner.user_id).where(OpenTaskOwner.open_task_id == task.id)
                                ).scalars().all()
    assert owners == [student] and task.lane == "student" and task.due_at is not None
    assert task.form_schema == "agreement_student_response.json"
    data = engine.task_data(task.task_guid)
    assert data["position"] == "后端开发工程师" and data["employer_name"] == "北京星河科技有限公司"
    assert data["lane_owners"] == {"employer": [hr], "student": [student]}
    (entry,) = evidence.entries(agreement_id)
    assert (entry.act, entry.actor_id, entry.remote_addr, entry.seq) == ("offered", hr, "10.0.0.8", 1)
    assert entry.details["terms"] == TERMS and entry.prev_hash == chain.GENESIS
    db.session.rollback()


def test_offers_that_are_refused(people, ctx):
    _student, student_no = people.student()
    _pending, pending_hr = people.employer("待审核单位有限公司", status="pending")
    _employer, hr = people.employer()
    with pytest.raises(AgreementError, match="尚未通过学校审核"):
        agreements.issue_offer(pending_hr, student_no, TERMS)
    with pytest.raises(AgreementError, match="不存在"):
        agreements.issue_offer(hr, "S000000000", TERMS)
    with pytest.raises(AgreementError, match="只有用人单位账号"):
        agreements.issue_offer(people.staff, student_no, TERMS)
    with pytest.raises(AgreementError, match="月薪"):
        agreements.issue_offer(hr, student_no, {**TERMS, "monthly_pay": -5})
    with pytest.raises(AgreementError, match="格式不正确"):
        agreements.issue_offer(hr, student_no, {**TERMS, "response_window": "seven days"})
    first = agreements.issue_offer(hr, student_no, TERMS)
    with pytest.raises(AgreementError, match="已向该学生发出签约邀请"):
        agreements.issue_offer(hr, student_no, TERMS)
    # the database refuses it too (partial unique index), whatever the service checks
    row = agreement(first)
    with pytest.raises(IntegrityError):
        with unit_of_work() as session:
            session.execute(insert(Agreement.__table__).values(student_id=row.student_id,
                                                               employer_id=row.employer_id, status="offered",
                                                               terms={}, offered_at=row.offered_at))
    assert db.session.execute(select(Agreement.id).where(Agreement.student_id == row.student_id)).scalars().all() \
        == [first]
    db.session.rollback()
    with pytest.raises(AgreementError, match="只有已生效的协议"):
        agreements.request_rescission(first, row.student_id, "还没生效就想解约")
    # a student with an agreement in force gets no new invitations
    busy, busy_no = people.student("李娜")
    with unit_of_work() as session:
        in_force = session.execute(insert(Agreement.__table__).returning(Agreement.__table__.c.id).values(
            student_id=busy, employer_id=row.employer_id, status="in_force", terms={}, offered_at=utcnow(),
            in_force_at=utcnow())).scalar_one()
        evidence.append(in_force, "offered", hr)
        evidence.append(in_force, "in_force", None)
        session.commit()
    with pytest.raises(AgreementError, match="已有生效的三方协议"):
        agreements.issue_offer(hr, busy_no, TERMS)
    assert agreement_queries.evidence_problems(in_force) == []


def test_student_declines_with_reason(people):
    student, student_no = people.student()
    _employer, hr = people.employer()
    agreement_id = agreements.issue_offer(hr, student_no, TERMS)
    instance_id = agreement(agreement_id).instance_id
    complete(instance_id, "student_respond", {"student_decision": "refuse", "decline_reason": "已决定读研"}, student)
    row = agreement(agreement_id)
    assert row.status == "declined" and row.end_reason == "已决定读研" and row.ended_at is not None
    state = engine.get_state(instance_id)
    assert state.status == "completed" and "end_declined" in state.completed_elements
    entries = evidence.entries(agreement_id)
    assert [e.act for e in entries] == ["offered", "declined"]
    assert entries[1].actor_id == student and entries[1].details["reason"] == "已决定读研"
    assert entries[1].actor_name == "张三丰"
    db.session.rollback()
    # a new window: the same employer may invite again
    assert agreements.issue_offer(hr, student_no, TERMS) != agreement_id


def test_response_window_expiry_counts_as_refusal(people):
    _student, student_no = people.student()
    _employer, hr = people.employer()
    agreement_id = agreements.issue_offer(hr, student_no, {**TERMS, "response_window": "PT0.5S"})
    row = agreement(agreement_id)
    assert (row.response_deadline - row.offered_at).total_seconds() == pytest.approx(0.5, abs=0.1)
    guid = open_task(row.instance_id, "student_respond").task_guid
    time.sleep(0.6)
    timers.fire_due()
    row = agreement(agreement_id)
    assert row.status == "expired" and "答复期限" in row.end_reason
    assert open_task(row.instance_id, "student_respond") is None
    assert engine.get_state(row.instance_id).status == "completed"
    assert acts(agreement_id) == ["offered", "expired"]
    with pytest.raises(engine.Conflict):  # too late to answer
        engine.complete_task(guid, ACCEPT, None)


def test_revoke_before_completion(people):
    student, student_no = people.student()
    _employer, hr = people.employer()
    _other, other_hr = people.employer("南方数据有限公司")
    agreement_id = agreements.issue_offer(hr, student_no, TERMS)
    instance_id = agreement(agreement_id).instance_id
    complete(instance_id, "student_respond", ACCEPT, student)
    complete(instance_id, "counselor_review", {"counselor_decision": "approve", "counselor_comment": "同意"},
             people.counselor)
    assert agreement(agreement_id).status == "in_review" and open_task(instance_id, "office_review")
    with pytest.raises(AgreementError, match="只有发出邀请的用人单位"):
        agreements.revoke_offer(agreement_id, other_hr, "误发")
    with pytest.raises(AgreementError, match="撤回原因"):
        agreements.revoke_offer(agreement_id, hr, " ")
    agreements.revoke_offer(agreement_id, hr, "岗位已取消", "10.0.0.9")
    row = agreement(agreement_id)
    assert row.status == "revoked" and row.end_reason == "岗位已取消"
    state = engine.get_state(instance_id)
    assert state.status == "completed" and "end_revoked" in state.completed_elements
    assert db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id)).first() is None
    db.session.rollback()
    assert acts(agreement_id) == ["offered", "accepted", "reviewed", "revoked"]
    with pytest.raises(AgreementError, match="不能撤回"):
        agreements.revoke_offer(agreement_id, hr, "再撤一次")
    assert agreement_queries.evidence_problems(agreement_id) == []


def test_a_busy_student_cannot_accept_a_second_offer(people):
    student, student_no = people.student()
    _a, hr_a = people.employer("甲公司有限公司")
    _b, hr_b = people.employer("乙公司有限公司")
    first = agreements.issue_offer(hr_a, student_no, TERMS)
    second = agreements.issue_offer(hr_b, student_no, TERMS)  # several invitations may wait at once
    complete(agreement(first).instance_id, "student_respond", ACCEPT, student)
    assert agreement(first).status == "accepted"
    assert agreement_queries.student_is_busy(student)
    complete(agreement(second).instance_id, "student_respond", ACCEPT, student)
    row = agreement(second)
    assert row.status == "declined" and "已有生效或正在签署" in row.end_reason
    assert engine.get_state(row.instance_id).status == "completed"
    assert acts(second)[-1] == "declined"


def test_counselor_return_loops_back_with_reason(people):
    student, student_no = people.student()
    _employer, hr = people.employer()
    agreement_id = agreements.issue_offer(hr, student_no, TERMS)
    instance_id = agreement(agreement_id).instance_id
    complete(instance_id, "student_respond", ACCEPT, student)
    complete(instance_id, "counselor_review", {"counselor_decision": "return", "return_to": "employer",
                                               "counselor_comment": "试用期超过合同期限的规定"}, people.counselor)
    task = open_task(instance_id, "employer_revise")
    data = engine.task_data(task.task_guid)
    assert data["return_reason"] == "试用期超过合同期限的规定" and data["returned_by"] == "辅导员"
    assert data["counselor_decision"] is None
    complete(instance_id, "employer_revise", {**TERMS, "probation_months": 1}, hr)
    task = open_task(instance_id, "counselor_review")
    assert task is not None
    assert agreement(agreement_id).terms["probation_months"] == 1
    entries = evidence.entries(agreement_id)
    assert [e.act for e in entries] == ["offered", "accepted", "returned", "filled"]
    assert entries[2].actor_id == people.counselor and entries[2].details["return_to"] == "employer"
    assert entries[3].actor_id == hr and entries[3].details["changes"] == {"probation_months": [3, 1]}
    db.session.rollback()


def test_one_agreement_in_force_per_student_enforced_by_the_database(people, ctx):
    student, _student_no = people.student()
    employer_a, _ = people.employer("甲公司有限公司")
    employer_b, _ = people.employer("乙公司有限公司")
    table = Agreement.__table__
    try:
        with pytest.raises(IntegrityError):
            with unit_of_work() as session:
                session.execute(insert(table).values(student_id=student, employer_id=employer_a, status="in_force",
                                                     terms={}, offered_at=utcnow()))
                session.execute(insert(table).values(student_id=student, employer_id=employer_b, status="in_force",
                                                     terms={}, offered_at=utcnow()))
    finally:
        db.session.rollback()
    assert db.session.execute(select(Agreement.id).where(Agreement.student_id == student)).first() is None
    db.session.rollback()


def test_agreement_numbers_are_unique_under_concurrency(people, ctx):
    names = [f"test:{people.unique}"]
    results: list[int] = []
    errors: list[BaseException] = []
    app = ctx

    def allocate():
        try:
            with app.app_context():
                for _ in range(10):
                    with unit_of_work() as uow:
                        results.append(next_value(names[0]))
                        uow.commit()
                db.session.remove()
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == list(range(1, 41))
    assert domain.format_number(2026, "10001", "硕士", 42) == "2026-10001-M-000042"


def test_evidence_chain_detects_altered_deleted_and_reordered_rows(people, ctx):
    student, student_no = people.student()
    _employer, hr = people.employer()
    agreement_id = agreements.issue_offer(hr, student_no, TERMS, "10.1.1.1")
    agreements.record_act(agreement_id, "viewed", student, "10.1.1.2")
    complete(agreement(agreement_id).instance_id, "student_respond", ACCEPT, student)
    agreements.record_act(agreement_id, "viewed", hr, "10.1.1.3", {"page": "detail"})
    with pytest.raises(AgreementError, match="未知"):
        agreements.record_act(agreement_id, "hacked", hr)
    assert agreement_queries.evidence_problems(agreement_id) == []
    runner = ctx.test_cli_runner()
    # this agreement only: other tests tamper with their own agreements' rows in the same database
    result = runner.invoke(args=["evidence-check", "--agreement", str(agreement_id)])
    assert result.exit_code == 0, result.output
    assert "evidence intact" in result.output

    table = EvidenceEntry.__table__
    rows = db.session.execute(select(table).where(table.c.agreement_id == agreement_id).order_by(table.c.seq)).all()
    db.session.rollback()
    second, third = rows[1], rows[2]

    def sql(statement):
        with unit_of_work() as uow:
            uow.execute(statement)
            uow.commit()

    # 1. an altered row (the IP address of the student's view)
    sql(update(table).where(table.c.id == second.id).values(remote_addr="192.168.0.66"))
    problems = agreement_queries.evidence_problems(agreement_id)
    assert any("第 2 条" in p and "内容被修改" in p for p in problems), problems
    result = runner.invoke(args=["evidence-check"])
    assert result.exit_code == 1
    assert "内容被修改" in result.output and f"AGR-{agreement_id}" in result.output
    sql(update(table).where(table.c.id == second.id).values(remote_addr=second.remote_addr))
    assert agreement_queries.evidence_problems(agreement_id) == []
    # 2. a deleted row
    sql(delete(table).where(table.c.id == second.id))
    problems = agreement_queries.evidence_problems(agreement_id)
    assert any("缺少第 2" in p for p in problems), problems
    sql(insert(table).values(**second._asdict()))
    assert agreement_queries.evidence_problems(agreement_id) == []
    # 3. two rows swapped (their sequence numbers exchanged)
    sql(update(table).where(table.c.id == second.id).values(seq=-1))
    sql(update(table).where(table.c.id == third.id).values(seq=second.seq))
    sql(update(table).where(table.c.id == second.id).values(seq=third.seq))
    problems = agreement_queries.evidence_problems(agreement_id)
    assert any("顺序" in p or "链接不符" in p for p in problems), problems
    sql(update(table).where(table.c.id == second.id).values(seq=-1))
    sql(update(table).where(table.c.id == third.id).values(seq=third.seq))
    sql(update(table).where(table.c.id == second.id).values(seq=second.seq))
    # 4. the newest entries cut off: the chain is valid but the agreement's state needs "accepted"
    tail = db.session.execute(select(table).where(table.c.agreement_id == agreement_id, table.c.seq >= 3)
                              .order_by(table.c.seq)).all()
    db.session.rollback()
    sql(delete(table).where(table.c.agreement_id == agreement_id, table.c.seq >= 3))
    problems = agreement_queries.evidence_problems(agreement_id)
    assert any("接受邀请" in p for p in problems), problems
    for row in tail:
        sql(insert(table).values(**row._asdict()))
    assert agreement_queries.evidence_problems(agreement_id) == []
    # (this agreement only: web tests insert bare agreement rows, without evidence, as fixtures)
    result = runner.invoke(args=["evidence-check", "--agreement", str(agreement_id)])
    assert result.exit_code == 0, result.output


def test_evidence_check_catches_a_database_writer_rewriting_or_cutting_the_chain(people, ctx):
    """Issue 8.4: the two attacks of someone with write access to the database. The entries' seals (a key
    outside the database) and the chain heads anchored outside it (signed, RFC 3161 timestamped) catch both."""
    from app.agreements import anchors, pdf
    from documents import seal

    student, student_no = people.student()
    _employer, hr = people.employer()
    agreement_id = agreements.issue_offer(hr, student_no, TERMS, "10.2.2.1")
    complete(agreement(agreement_id).instance_id, "student_respond", ACCEPT, student)
    agreements.record_act(agreement_id, "filled", hr, "10.2.2.3", {"part": "employer", "changes": {"pay": "9000"}})
    agreements.record_act(agreement_id, "viewed", student, "10.2.2.4")
    table = EvidenceEntry.__table__
    rows = db.session.execute(select(table).where(table.c.agreement_id == agreement_id).order_by(table.c.seq)).all()
    db.session.rollback()
    assert [r.act for r in rows][-2:] == ["filled", "viewed"] and all(r.entry_mac for r in rows)
    # every change anchored by the worker job after it (RQ synchronous here); the trailing view is not a change
    sealed = anchors.anchors_of(agreement_id)
    assert sealed[-1].count == len(rows) - 1 and sealed[-1].head_hash == rows[-2].entry_hash
    assert {a.count for a in sealed} >= {1, len(rows) - 1}
    report = seal.check(sealed[-1].statement, sealed[-1].seal_path.read_bytes(), pdf.trust_roots())
    assert report.ok and report.signer == "示范大学就业指导中心" and report.timestamp is not None
    runner = ctx.test_cli_runner()
    check = ["evidence-check", "--agreement", str(agreement_id)]
    assert runner.invoke(args=check).exit_code == 0

    def sql(*statements):
        with unit_of_work() as uow:
            for statement in statements:
                uow.execute(statement)
            uow.commit()

    # 1. entry 2 rewritten (another address) and every hash after it recomputed: the links all hold
    forged, prev = [], rows[0].entry_hash
    for row in rows[1:]:
        values = row._asdict() | {"prev_hash": prev}
        if row.seq == 2:
            values["remote_addr"] = "192.168.0.66"
        values["entry_hash"] = prev = chain.entry_hash(prev, values)
        forged.append(values)
    sql(*(update(table).where(table.c.id == v["id"]).values(**v) for v in forged))
    assert not any("链接不符" in p or "哈希值不符" in p for p in agreement_queries.evidence_problems(agreement_id))
    result = runner.invoke(args=check)
    assert result.exit_code == 1
    assert "第 2 条" in result.output and "密封值不符" in result.output
    assert "与学校签名锚定的链哈希不符" in result.output  # the anchored heads name the old hashes too
    sql(*(update(table).where(table.c.id == r.id).values(**r._asdict()) for r in rows))
    assert runner.invoke(args=check).exit_code == 0

    # 2. the last entries deleted: a shorter chain that is valid, and the agreement's state needs none of them
    sql(delete(table).where(table.c.agreement_id == agreement_id, table.c.seq >= len(rows) - 1))
    left = evidence.entries(agreement_id)
    a = agreement(agreement_id)
    assert chain.check_chain("x", left, ctx.config["EVIDENCE_KEY"].encode()) == []
    assert chain.check_state("x", a.status, a.number, [], left) == []
    db.session.rollback()
    result = runner.invoke(args=check)
    assert result.exit_code == 1
    assert f"证据链只剩 {len(rows) - 2} 条" in result.output and f"第 {len(rows) - 1}–{len(rows) - 1} 条被删除" in result.output
    for row in rows[-2:]:
        sql(insert(table).values(**row._asdict()))
    assert runner.invoke(args=check).exit_code == 0


def test_employer_registration_and_qualification_review(people, ctx, unique):
    code = credit_code()
    with pytest.raises(employers.EmployerError, match="统一社会信用代码不正确") as err:
        employers.register_employer("星火教育科技有限公司", code[:-1] + ("0" if code[-1] != "0" else "1"), "赵女士",
                                    "13900001111", f"emp_{unique}", "Passw0rd!", None, None, None, None)
    assert err.value.field == "credit_code"
    ref = {"file_id": "a" * 32, "name": "营业执照.pdf", "size": 1234, "sha256": "b" * 64,
           "content_type": "application/pdf"}
    employer_id = employers.register_employer("星火教育科技有限公司", code.lower(), "赵女士", "13900001111",
                                              f"emp_{unique}", "Passw0rd!", "private", "教育", "上海市徐汇区", ref)
    employer = db.session.get(Employer, employer_id)
    assert employer.status == "pending" and employer.credit_code == code and employer.qualification_file == ref
    user = db.session.execute(select(User).where(User.username == f"emp_{unique}")).scalar_one()
    assert user.employer_id == employer_id and user.role_names == {"employer"} and user.password_hash
    db.session.rollback()
    with pytest.raises(employers.AlreadyRegistered) as err:  # one answer for a taken code or user name
        employers.register_employer("另一家公司", code, "钱先生", "13900002222", f"emp2_{unique}", "Passw0rd!",
                                    None, None, None, None)
    assert err.value.field is None
    instance_id = db.session.execute(select(ProcessInstance.id).where(
        ProcessInstance.business_key == f"EMP-{employer_id}")).scalar_one()
    task = open_task(instance_id, "qualification_review")
    assert task.lane == "career_office" and engine.scope_of(instance_id) == {"employer": str(employer_id)}
    assert engine.task_data(task.task_guid)["qualification_file"] == ref
    _student, student_no = people.student()
    with pytest.raises(AgreementError, match="尚未通过"):
        agreements.issue_offer(user.id, student_no, TERMS)
    complete(instance_id, "qualification_review",
             {"qualification_decision": "reject", "qualification_comment": "营业执照已过期"}, people.staff)
    employer = db.session.get(Employer, employer_id)
    assert employer.status == "rejected" and employer.reviewed_by == people.staff
    db.session.rollback()
    assert employer_queries.qualification_outcome(employer_id)["comment"] == "营业执照已过期"
    # a second registration round would start a new review; here the office approves directly
    employers.review(employer_id, "approve", "补充材料后通过", people.staff)
    assert agreements.issue_offer(user.id, student_no, TERMS) > 0
