"""Demo agreements at every stage, made through the area's services and the tripartite process itself (service
tasks run at once, with the office's real PKI and LibreOffice) at controlled times in the past, so histories,
due dates and overdue tasks are real: an offer waiting for the student, one returned to the student for
correction, a counselor review overdue, an office review due today, one being signed, agreements in force and
one rescinded. Only with DEMO_ACTIVITY (`flask demo-data`; off in the tests' shared fixture).

Idempotent: a student who already has an agreement is left as he is.
"""
from __future__ import annotations

import shutil
from datetime import datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from app.agreements import pdf, services
from app.agreements.domain import agreement_key
from app.agreements.models import Agreement
from app.identity.models import Employer, Student, User
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import clock_at
from app.platform.demo import jobs_at_once
from app.platform.extensions import db
from app.processes.demo_work import demo_user_id, work_task

TERMS = {
    "91310000MA1FL8XQ37": {  # 华辰科技
        "position": "后端开发工程师", "work_location": "上海市浦东新区张江路 88 号", "monthly_pay": 15000,
        "probation_months": 3, "contract_years": 3, "breach_terms": "任何一方违约，应向守约方支付违约金人民币伍仟元。",
        "other_clauses": "单位提供人才公寓一年。", "archive_address": "上海市人才服务中心", "hukou_transfer": True},
    "91320000134567890Y": {  # 江南银行
        "position": "管理培训生", "work_location": "南京市鼓楼区中山路 1 号", "monthly_pay": 10000,
        "probation_months": 6, "contract_years": 3, "breach_terms": "违约方应向守约方支付违约金人民币叁仟元。",
        "other_clauses": "轮岗两年后定岗。", "archive_address": "南京市人才服务中心", "hukou_transfer": False},
}
HUACHEN, JIANGNAN = "hr_huachen", "hr_jiangnan"
COUNSELORS = {"CS": "counselor_cs", "EM": "counselor_em", "FL": "counselor_fl", "ME": "counselor_me",
              "MS": "counselor_ms"}
ACCEPT = {"student_decision": "accept"}
APPROVE_C = {"counselor_decision": "approve", "counselor_comment": "信息核对无误，同意。"}
APPROVE_O = {"office_decision": "approve", "office_comment": "同意签约。"}

# student number -> (employer account, the stage to reach); numbers of the demo graduating class
STAGES = [
    ("2022011001", HUACHEN, "offered"),
    ("2022021001", JIANGNAN, "returned"),
    ("2022031001", HUACHEN, "counselor_overdue"),
    ("2022041001", JIANGNAN, "office_due_today"),
    ("2022051001", HUACHEN, "signing"),
    ("2022011002", JIANGNAN, "in_force"),
    ("2022041002", HUACHEN, "in_force"),
    ("2022021002", HUACHEN, "rescinded"),
]


def load() -> None:
    if not current_app.config.get("DEMO_ACTIVITY", False):
        return
    now = datetime.now(timezone.utc)
    with jobs_at_once():
        documents = _documents_available()
        for student_no, employer, stage in STAGES:
            if stage in NEEDS_DOCUMENTS and not documents:
                continue
            student = _student(student_no)
            if student is None or _has_agreement(student.user_id):
                continue
            STEPS[stage](student, demo_user_id(employer), now)


NEEDS_DOCUMENTS = ("signing", "in_force", "rescinded")


def _documents_available() -> bool:
    """Numbered agreements are rendered (LibreOffice) and signed (the installation's PKI): without them the
    demo stops before the office's approval instead of leaving jobs that cannot run."""
    if shutil.which(current_app.config.get("DOCUMENTS_SOFFICE") or "soffice") is None:
        current_app.logger.warning("demo data: LibreOffice not found, no agreements in signing or in force")
        return False
    try:
        pdf.ensure_installation_pki()
    except Exception as err:  # noqa: BLE001 - a demo without signed agreements is still a demo
        current_app.logger.warning("demo data: no PKI (%s), no agreements in signing or in force", err)
        return False
    return True


def _student(student_no: str) -> Student | None:
    found = db.session.execute(select(Student).where(Student.student_no == student_no)).scalar()
    db.session.rollback()
    return found


def _has_agreement(student_user_id: int) -> bool:
    found = db.session.execute(select(Agreement.id).where(Agreement.student_id == student_user_id).limit(1)).scalar()
    db.session.rollback()
    return found is not None


def _college_code(student: Student) -> str:
    return student.student_no[4:6]


def _counselor(student: Student) -> int:
    code = {"01": "CS", "02": "EM", "03": "FL", "04": "ME", "05": "MS"}[_college_code(student)]
    return demo_user_id(COUNSELORS[code])


def _employer_code(employer_user: int) -> str:
    code = db.session.execute(select(Employer.credit_code).join(User, User.employer_id == Employer.id)
                              .where(User.id == employer_user)).scalar()
    db.session.rollback()
    return code




def _do(at: datetime, agreement_id: int, spec_id: str, data: dict, actor: int, claim: bool = False) -> None:
    if not work_task(spec_id, data, actor, business_key=agreement_key(agreement_id), at=at, claim=claim):
        raise LookupError(f"agreement {agreement_id}: no open task {spec_id}")


def _offer(student: Student, employer: int, at: datetime) -> int:
    with clock_at(at):
        return services.issue_offer(employer, student.student_no, TERMS[_employer_code(employer)])


def _accept(agreement_id: int, student: Student, at: datetime) -> None:
    user = db.session.get(User, student.user_id)
    contact = {"student_phone": user.phone or "13900000000", "student_email": user.email or "student@example.edu.cn"}
    db.session.rollback()
    _do(at, agreement_id, "student_respond", {**ACCEPT, **contact}, student.user_id)


def _reviewed(student: Student, employer: int, start: datetime) -> int:
    """Offered at `start`, accepted a day later, approved by the counselor and the office on the two days
    after: numbered and rendered, waiting for the student's signature."""
    agreement_id = _offer(student, employer, start)
    _accept(agreement_id, student, start + timedelta(days=1))
    _do(start + timedelta(days=2), agreement_id, "counselor_review", APPROVE_C, _counselor(student), claim=True)
    _do(start + timedelta(days=3), agreement_id, "office_review", APPROVE_O, demo_user_id("staff1"), claim=True)
    return agreement_id


def _signed(student: Student, employer: int, start: datetime) -> int:
    agreement_id = _reviewed(student, employer, start)
    _do(start + timedelta(days=4), agreement_id, "student_sign", {"student_sign_confirm": True}, student.user_id)
    _do(start + timedelta(days=5), agreement_id, "employer_sign", {"employer_sign_confirm": True}, employer)
    _do(start + timedelta(days=5, hours=3), agreement_id, "university_sign", {"university_sign_confirm": True},
        demo_user_id("staff1"), claim=True)
    return agreement_id


def offered(student: Student, employer: int, now: datetime) -> None:
    _offer(student, employer, now - timedelta(days=1, hours=2))


def returned(student: Student, employer: int, now: datetime) -> None:
    agreement_id = _offer(student, employer, now - timedelta(days=4))
    _accept(agreement_id, student, now - timedelta(days=3))
    _do(now - timedelta(days=2), agreement_id, "counselor_review",
        {"counselor_decision": "return", "return_to": "student", "counselor_comment": "请补充本人常用电子邮箱。"},
        _counselor(student), claim=True)


def counselor_overdue(student: Student, employer: int, now: datetime) -> None:
    """The review is five days' work: accepted eight days ago, it is three days overdue."""
    agreement_id = _offer(student, employer, now - timedelta(days=9))
    _accept(agreement_id, student, now - timedelta(days=8))


def office_due_today(student: Student, employer: int, now: datetime) -> None:
    """The office's five days end today: approved by the counselor five days before a moment later today."""
    end_of_today = datetime.combine(now.astimezone(LOCAL_TZ).date(), time(23, 0), LOCAL_TZ)
    due = max(min(now + timedelta(hours=3), end_of_today), now + timedelta(minutes=30))
    agreement_id = _offer(student, employer, due - timedelta(days=7))
    _accept(agreement_id, student, due - timedelta(days=6))
    _do(due - timedelta(days=5), agreement_id, "counselor_review", APPROVE_C, _counselor(student), claim=True)


def signing(student: Student, employer: int, now: datetime) -> None:
    _reviewed(student, employer, now - timedelta(days=3, hours=5))


def in_force(student: Student, employer: int, now: datetime) -> None:
    _signed(student, employer, now - timedelta(days=20))


def rescinded(student: Student, employer: int, now: datetime) -> None:
    agreement_id = _signed(student, employer, now - timedelta(days=40))
    with clock_at(now - timedelta(days=10)):
        instance_id = services.request_rescission(agreement_id, student.user_id, "考取研究生，申请解除协议。")
    db.session.rollback()
    _step_in(instance_id, now - timedelta(days=8), "employer_consent",
             {"consent_decision": "agree", "consent_comment": "同意解约，违约金已收讫。"}, employer)
    _step_in(instance_id, now - timedelta(days=6), "school_approve",
             {"approval_decision": "approve", "approval_comment": "双方一致同意，准予解约。"}, demo_user_id("staff1"), claim=True)



def _step_in(instance_id: int, at: datetime, spec_id: str, data: dict, actor: int, claim: bool = False) -> None:
    if not work_task(spec_id, data, actor, instance_id=instance_id, at=at, claim=claim):
        raise LookupError(f"instance {instance_id}: no open task {spec_id}")


STEPS = {"offered": offered, "returned": returned, "counselor_overdue": counselor_overdue,
         "office_due_today": office_due_today, "signing": signing, "in_force": in_force, "rescinded": rescinded}
