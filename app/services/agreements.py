"""Tripartite employment agreements (三方协议): offers, the process around them, evidence, rescission, documents.

Web routes call the use cases at the top (`issue_offer`, `record_act`, `revoke_offer`, `request_rescission`,
the readers). The BPMN processes `tripartite_agreement` and `agreement_rescission` change an agreement
through their service tasks (tasks/agreement_ops.py), which call the idempotent *steps* further down
(`respond`, `review`, `update_terms`, `set_status`, `assign_number`, `rescission_consent`, `rescind`);
rendering and signing live in app/services/agreement_documents.py and run only in RQ jobs.

Business key of both processes: `AGR-<agreement id>` (`agreement_key`). Status lifecycle (models/agreement.py):

    offered -> accepted -> in_review -> signing -> in_force -> rescinded
       |          ^___________| (office returns for correction)
       +-> declined | expired | revoked (revoked possible until in_force)
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import engine
from app.engine.models import ProcessInstance
from app.models import (
    Agreement,
    AgreementDocument,
    College,
    Counter,
    Employer,
    EvidenceEntry,
    Major,
    Student,
    User,
)
from app.models.agreement import FINAL_STATUSES, OPEN_STATUSES
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from app.services import agreement_documents as documents
from app.services import agreement_notices as notices  # also registers the area's notification kinds
from app.services import evidence as chain

PROCESS_KEY = "tripartite_agreement"
RESCISSION_KEY = "agreement_rescission"
REVOKE_MESSAGE = "agreement_revoked"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
TERM_KEYS = ("position", "work_location", "monthly_pay", "probation_months", "contract_years", "breach_terms",
             "other_clauses", "archive_address", "hukou_transfer")
STATUS_LABELS = {
    "offered": "待学生答复", "accepted": "学生已接受，辅导员审核中", "in_review": "就业指导中心审核中",
    "signing": "签署中", "in_force": "已生效", "declined": "学生已拒绝", "expired": "邀请已过期",
    "revoked": "单位已撤回", "rescinded": "已解约",
}
ACT_LABELS = chain.ACT_LABELS
# Statuses that keep a student from accepting another offer (one agreement in progress or in force at a time).
BUSY_STATUSES = ("accepted", "in_review", "signing", "in_force")
DEGREE_CODES = {"专科": "Z", "本科": "B", "硕士": "M", "博士": "D"}
TRANSITIONS = {
    "offered": {"accepted", "declined", "expired", "revoked"},
    "accepted": {"in_review", "revoked"},
    "in_review": {"accepted", "signing", "revoked"},
    "signing": {"in_force", "revoked"},
    "in_force": {"rescinded"},
}


class AgreementError(Exception):
    """A refused agreement action; the message is shown to users."""


# -- domain rules (pure) --------------------------------------------------------------------------------

def agreement_key(agreement_id: int) -> str:
    return f"AGR-{agreement_id}"


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def degree_code(degree: str) -> str:
    return DEGREE_CODES.get((degree or "").strip(), "B")


def format_number(year: int, school_code: str, degree: str, seq: int) -> str:
    """Graduation year + school code + degree level + sequence, e.g. 2026-10001-B-000042."""
    return f"{year}-{school_code}-{degree_code(degree)}-{seq:06d}"


_DURATION = re.compile(r"P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations in weeks, days, hours, minutes, seconds ("P7D", "PT1S")."""
    match = _DURATION.fullmatch(text or "")
    if not match:
        raise ValueError(f"not an ISO 8601 duration (like P7D): {text!r}")
    weeks, days, hours, minutes, seconds = match.groups()
    return timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0),
                     seconds=float(seconds or 0))


def parse_cycle(text: str) -> tuple[int | None, timedelta]:
    """ISO 8601 repeating interval "R<n>/<duration>" (n omitted = unbounded)."""
    match = re.fullmatch(r"R(\d*)/(P.+)", text or "")
    if not match:
        raise ValueError(f"not an ISO 8601 repeating interval (like R3/P2D): {text!r}")
    return (int(match.group(1)) if match.group(1) else None), parse_duration(match.group(2))


def terms_problems(terms: dict) -> list[str]:
    """Problems of offer terms against forms/agreement_offer.json (the schema the issue page renders)."""
    from app.services import form_schema as fs

    form = fs.load_form(Path(current_app.config["FORMS_DIR"]), "agreement_offer.json", "agreement_offer.ui.json")
    errors = fs.validate(form, terms)
    return [f"{form.label_for(path)}：{err.message('zh_CN')}" for path, errs in errors.items() for err in errs]


def _local_text(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _lock(agreement_id: int) -> Agreement:
    agreement = db.session.execute(select(Agreement).where(Agreement.id == agreement_id).with_for_update()
                                   ).scalar_one_or_none()
    if agreement is None:
        raise AgreementError("协议不存在")
    return agreement


def _sha(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# -- use cases (web) ------------------------------------------------------------------------------------

def issue_offer(employer_user_id: int, student_no: str, terms: dict, remote_addr: str | None = None) -> int:
    """The employer invites a student to sign; returns the agreement id (process started, evidence recorded).

    `terms`: the fields of forms/agreement_offer.json (TERM_KEYS; a `student_no` key is ignored). Two
    process options may ride along: `response_window` (ISO duration, default AGREEMENT_RESPONSE_WINDOW) and
    `reminder_cycle` (催签 interval, default AGREEMENT_REMINDER_CYCLE).
    """
    cfg = current_app.config
    terms = dict(terms or {})
    terms.pop("student_no", None)
    window = terms.pop("response_window", None) or cfg.get("AGREEMENT_RESPONSE_WINDOW", "P7D")
    cycle = terms.pop("reminder_cycle", None) or cfg.get("AGREEMENT_REMINDER_CYCLE", "R3/P2D")
    try:
        window_delta = parse_duration(window)
        parse_cycle(cycle)
    except ValueError as err:
        raise AgreementError(f"答复期限或催签间隔格式不正确：{err}") from None
    student_no = (student_no or "").strip()
    problems = terms_problems({"student_no": student_no or "-", **terms})
    if problems:
        raise AgreementError("协议条款填写有误：" + "；".join(problems))
    terms = {k: terms[k] for k in TERM_KEYS if k in terms}
    with unit_of_work() as session:
        user = session.get(User, employer_user_id)
        if user is None or not user.active or user.employer_id is None or "employer" not in user.role_names:
            raise AgreementError("只有用人单位账号可以发出签约邀请")
        employer = session.get(Employer, user.employer_id)
        if employer.status != "approved":
            raise AgreementError("贵单位的资质尚未通过学校审核，暂不能发出签约邀请")
        student = session.execute(select(Student).where(Student.student_no == student_no)).scalar_one_or_none()
        student_user = session.get(User, student.user_id) if student is not None else None
        if student is None or student_user is None or not student_user.active:
            raise AgreementError(f"学号 {student_no} 不存在")
        others = session.execute(select(Agreement.status, Agreement.employer_id).where(
            Agreement.student_id == student.user_id, Agreement.status.in_(("in_force", *OPEN_STATUSES)))).all()
        if any(s == "in_force" for s, _e in others):
            raise AgreementError("该学生已有生效的三方协议，不能再向其发出签约邀请")
        if any(e == employer.id and s in OPEN_STATUSES for s, e in others):
            raise AgreementError("贵单位已向该学生发出签约邀请，请等待学生答复或先撤回原邀请")
        try:
            definition = engine.latest_definition(PROCESS_KEY)
        except engine.NotFound:
            raise AgreementError("签约流程尚未部署，请联系管理员") from None
        now = utcnow()
        deadline = now + window_delta
        agreement = Agreement(student_id=student.user_id, employer_id=employer.id, status="offered", terms=terms,
                              created_by=user.id, offered_at=now, response_deadline=deadline)
        session.add(agreement)
        try:
            session.flush()
        except IntegrityError:  # a concurrent offer of the same employer won (uq_agreement_one_open_offer)
            raise AgreementError("贵单位已向该学生发出签约邀请，请等待学生答复或先撤回原邀请") from None
        key = agreement_key(agreement.id)
        chain.append(agreement.id, "offered", user.id, remote_addr,
                     {"employer_id": employer.id, "student_no": student_no, "terms": terms,
                      "terms_sha256": _sha(terms), "response_deadline": deadline})
        college = session.get(College, student.college_id)
        major = session.get(Major, student.major_id)
        data = {
            "agreement_id": agreement.id, "agreement_key": key,
            "lane_owners": {"employer": [user.id], "student": [student.user_id]},
            "response_window": window, "reminder_cycle": cycle, "response_deadline": _local_text(deadline),
            "student_name": student_user.display_name, "student_no": student.student_no,
            "college_name": college.name if college else "", "major_name": major.name if major else "",
            "degree": student.degree, "employer_name": employer.name, "employer_credit_code": employer.credit_code,
            **terms,
        }
        if student_user.phone:
            data["student_phone"] = student_user.phone
        if student_user.email:
            data["student_email"] = student_user.email
        agreement.instance_id = engine.start_instance(
            definition, data, business_key=key, started_by=user.id, college_id=student.college_id,
            employer_id=employer.id)
        return agreement.id


def record_act(agreement_id: int, act: str, actor_id: int | None, remote_addr: str | None = None,
               details: dict | None = None, document_sha256: str | None = None) -> None:
    """Append an act to the agreement's evidence chain (the web records viewed / downloaded / verified)."""
    if act not in chain.ACTS:
        raise AgreementError(f"未知的行为类型：{act}")
    with unit_of_work():
        try:
            chain.append(agreement_id, act, actor_id, remote_addr, details, document_sha256)
        except LookupError:
            raise AgreementError("协议不存在") from None


def verify_evidence(agreement_id: int | None = None) -> list[str]:
    """Human-readable problems of the evidence (one agreement, or all); empty = intact."""
    try:
        return chain.verify(agreement_id)
    finally:
        if not db.session.info.get("uow_depth"):  # a read on its own: release the (SQLite) lock at once
            db.session.rollback()


def evidence(agreement_id: int) -> list[EvidenceEntry]:
    return chain.entries(agreement_id)


def revoke_offer(agreement_id: int, employer_user_id: int, reason: str, remote_addr: str | None = None) -> None:
    """The employer withdraws its offer at any point before the agreement is in force."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise AgreementError("请填写撤回原因")
    with unit_of_work() as session:
        agreement = _lock(agreement_id)
        user = session.get(User, employer_user_id)
        if user is None or user.employer_id != agreement.employer_id or "employer" not in user.role_names:
            raise AgreementError("只有发出邀请的用人单位可以撤回")
        if agreement.status not in OPEN_STATUSES:
            raise AgreementError(f"协议当前状态为“{STATUS_LABELS.get(agreement.status, agreement.status)}”，不能撤回")
        agreement.status, agreement.ended_at, agreement.end_reason = "revoked", utcnow(), reason
        chain.append(agreement_id, "revoked", employer_user_id, remote_addr, {"reason": reason})
        try:
            engine.deliver_message(REVOKE_MESSAGE, {"revoke_reason": reason},
                                   {"business_key": agreement_key(agreement_id)}, actor_id=employer_user_id)
        except engine.CorrelationError:
            raise AgreementError("签约流程已结束，不能撤回") from None


def request_rescission(agreement_id: int, requester_user_id: int, reason: str,
                       remote_addr: str | None = None) -> int:
    """The student or the employer asks to rescind an agreement in force; returns the rescission instance."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise AgreementError("请填写解约原因")
    with unit_of_work() as session:
        agreement = _lock(agreement_id)
        if agreement.status != "in_force":
            raise AgreementError("只有已生效的协议可以申请解约")
        user = session.get(User, requester_user_id)
        if user is not None and requester_user_id == agreement.student_id:
            requested_by, label = "student", "毕业生"
        elif user is not None and user.employer_id == agreement.employer_id and "employer" in user.role_names:
            requested_by, label = "employer", "用人单位"
        else:
            raise AgreementError("只有协议的毕业生或用人单位可以申请解约")
        key = agreement_key(agreement_id)
        pending = session.execute(select(ProcessInstance.id).where(
            ProcessInstance.process_key == RESCISSION_KEY, ProcessInstance.business_key == key,
            ProcessInstance.status.in_(("running", "suspended")))).first()
        if pending is not None:
            raise AgreementError("该协议已有进行中的解约申请")
        try:
            definition = engine.latest_definition(RESCISSION_KEY)
        except engine.NotFound:
            raise AgreementError("解约流程尚未部署，请联系管理员") from None
        employer = session.get(Employer, agreement.employer_id)
        student_user = session.get(User, agreement.student_id)
        student = session.get(Student, agreement.student_id)
        employer_users = [u.id for u in session.execute(select(User).where(
            User.employer_id == agreement.employer_id, User.active.is_(True))).scalars() if "employer" in u.role_names]
        chain.append(agreement_id, "rescission_requested", requester_user_id, remote_addr,
                     {"reason": reason, "requested_by": requested_by})
        terms = agreement.terms or {}
        data = {
            "agreement_id": agreement_id, "agreement_key": key, "agreement_number": agreement.number,
            "lane_owners": {"student": [agreement.student_id], "employer": employer_users},
            "requested_by": requested_by, "requested_by_label": label, "requester_name": user.display_name,
            "rescission_reason": reason, "student_name": student_user.display_name,
            "student_no": student.student_no, "employer_name": employer.name,
            "position": terms.get("position", ""),
        }
        return engine.start_instance(definition, data, business_key=key, started_by=requester_user_id,
                                     college_id=student.college_id, employer_id=agreement.employer_id)


def latest_document(agreement_id: int) -> AgreementDocument | None:
    return documents.latest(agreement_id)


def document_bytes(doc: AgreementDocument) -> bytes:
    try:
        return documents.read(doc)
    except documents.DocumentError as err:
        raise AgreementError(str(err)) from None


def match_document(sha256: str) -> tuple[Agreement, AgreementDocument] | None:
    """Which agreement (and version) a file with this SHA-256 is, for the public verification page."""
    return documents.match(sha256)


def verify_document(pdf: bytes, actor_id: int | None = None, remote_addr: str | None = None) -> dict:
    """Check an uploaded agreement PDF: its signatures (pyHanko, trusting the installation CA) and which stored
    version it is. A file that matches a stored version gets a `verified` evidence entry.

    Returns {"sha256", "all_ok", "locked", "signatures": [...], "agreement_id", "number", "version", "kind",
    "latest"} (the agreement fields None when the file matches no stored version).
    """
    from documents import pki
    from documents.verify import verify_pdf

    report = verify_pdf(pdf, [pki.ensure_ca(documents.document_settings()).cert_path]).as_dict()
    found = documents.match(report["sha256"])
    result = {**report, "agreement_id": None, "number": None, "version": None, "kind": None, "latest": None}
    if found is not None:
        agreement, doc = found
        newest = documents.latest(agreement.id)
        result.update(agreement_id=agreement.id, number=agreement.number, version=doc.version, kind=doc.kind,
                      latest=newest is not None and newest.id == doc.id)
        record_act(agreement.id, "verified", actor_id, remote_addr,
                   {"version": doc.version, "all_ok": report["all_ok"]}, report["sha256"])
    else:
        db.session.rollback()
    return result


# Readers the pages may find handy.

def get(agreement_id: int) -> Agreement | None:
    return db.session.get(Agreement, agreement_id)


def for_student(student_user_id: int) -> list[Agreement]:
    return list(db.session.execute(select(Agreement).where(Agreement.student_id == student_user_id)
                                   .order_by(Agreement.id.desc())).scalars())


def for_employer(employer_id: int) -> list[Agreement]:
    return list(db.session.execute(select(Agreement).where(Agreement.employer_id == employer_id)
                                   .order_by(Agreement.id.desc())).scalars())


def student_is_busy(student_user_id: int, except_agreement_id: int | None = None) -> bool:
    """True while the student has an agreement in progress or in force: other invitations are view-only."""
    query = select(Agreement.id).where(Agreement.student_id == student_user_id,
                                       Agreement.status.in_(BUSY_STATUSES))
    if except_agreement_id is not None:
        query = query.where(Agreement.id != except_agreement_id)
    return db.session.execute(query.limit(1)).first() is not None


# -- steps of the processes (called by tasks/agreement_ops.py; each safe to run twice) --------------------

def _move(agreement: Agreement, target: str, reason: str | None = None) -> bool:
    """Set the status if the lifecycle allows it; False when it is already there."""
    if agreement.status == target:
        return False
    if not can_transition(agreement.status, target):
        raise AgreementError(f"协议状态不能从 {agreement.status} 变为 {target}")
    now = utcnow()
    agreement.status = target
    if target == "in_force":
        agreement.in_force_at = now
    if target in FINAL_STATUSES and target != "in_force":
        agreement.ended_at = now
        agreement.end_reason = reason or agreement.end_reason
    return True


def _ended(agreement: Agreement, allowed: tuple[str, ...]) -> dict | None:
    """A step that arrives after the agreement ended another way (revoked meanwhile) does nothing."""
    if agreement.status in FINAL_STATUSES and agreement.status not in allowed:
        return {"status": agreement.status, "skipped": True}
    return None


def respond(agreement_id: int, decision: str, reason: str, contact: dict | None, actor_id: int | None,
            job_key: str | None = None,
            remote_addr: str | None = None) -> dict:
    """The student's answer. Accepting is refused (recorded as declined) while the student has another
    agreement in progress or in force."""
    with unit_of_work():
        agreement = _lock(agreement_id)
        if agreement.status != "offered":  # answered already (a re-run) or ended meanwhile
            return {"status": agreement.status, "reason": agreement.end_reason or ""}
        if decision == "accept":
            if student_is_busy(agreement.student_id, agreement_id):
                reason = "已有生效或正在签署的三方协议，不能接受新的邀请"
                _move(agreement, "declined", reason)
                chain.append(agreement_id, "declined", actor_id, remote_addr, {"reason": reason, "automatic": True},
                             job_key=job_key)
                return {"status": "declined", "reason": reason}
            contact = {k: str(v) for k, v in (contact or {}).items() if k in ("phone", "email") and v}
            agreement.terms = {**(agreement.terms or {}), "graduate": contact}
            _move(agreement, "accepted")
            chain.append(agreement_id, "accepted", actor_id, remote_addr, {"contact": contact}, job_key=job_key)
            return {"status": "accepted", "reason": ""}
        reason = (reason or "").strip() or "学生拒绝了签约邀请"
        _move(agreement, "declined", reason)
        chain.append(agreement_id, "declined", actor_id, remote_addr, {"reason": reason}, job_key=job_key)
        return {"status": "declined", "reason": reason}


def review(agreement_id: int, stage: str, decision: str, comment: str | None, return_to: str | None,
           actor_id: int | None, job_key: str | None = None,
           remote_addr: str | None = None) -> dict:
    """Counselor (stage "counselor") or career office ("office"): approve, or return for correction."""
    with unit_of_work():
        agreement = _lock(agreement_id)
        if (ended := _ended(agreement, ())) is not None:
            return ended
        if decision == "return":
            _move(agreement, "accepted")
            chain.append(agreement_id, "returned", actor_id, remote_addr,
                         {"stage": stage, "return_to": return_to, "reason": comment or ""}, job_key=job_key)
        else:
            if stage == "counselor":
                _move(agreement, "in_review")
            chain.append(agreement_id, "reviewed", actor_id, remote_addr,
                         {"stage": stage, "decision": decision, "comment": comment or ""}, job_key=job_key)
        return {"status": agreement.status, "decision": decision}


def update_terms(agreement_id: int, part: str, values: dict, actor_id: int | None,
                 job_key: str | None = None,
                 remote_addr: str | None = None) -> dict:
    """A correction after a return: the graduate's contact (part "graduate") or the job terms ("terms")."""
    values = dict(values or {})
    with unit_of_work():
        agreement = _lock(agreement_id)
        if (ended := _ended(agreement, ())) is not None:
            return ended
        terms = dict(agreement.terms or {})
        if part == "graduate":
            before = dict(terms.get("graduate") or {})
            after = {k: str(values[k]) for k in ("phone", "email") if values.get(k)}
            terms["graduate"] = after
        elif part == "terms":
            before = {k: terms.get(k) for k in TERM_KEYS}
            after = {k: values[k] for k in TERM_KEYS if k in values}
            problems = terms_problems({"student_no": "0000", **{**before, **after}})
            if problems:
                raise AgreementError("协议条款填写有误：" + "；".join(problems))
            terms.update(after)
        else:
            raise AgreementError(f"unknown part {part!r}")
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        agreement.terms = terms
        chain.append(agreement_id, "filled", actor_id, remote_addr, {"part": part, "changes": changes}, job_key=job_key)
        return {"changed": sorted(changes)}


def set_status(agreement_id: int, status: str, act: str | None, reason: str | None, actor_id: int | None,
               job_key: str | None = None,
               remote_addr: str | None = None) -> dict:
    """A status change decided by the process (expired, in_force, ...), with its evidence entry."""
    with unit_of_work() as session:
        agreement = _lock(agreement_id)
        if (ended := _ended(agreement, (status,))) is not None:
            return ended
        _move(agreement, status, reason)
        try:
            session.flush()
        except IntegrityError:  # uq_agreement_one_in_force
            raise AgreementError("该学生已有一份生效的三方协议") from None
        if act:
            details = {"reason": reason} if reason else {}
            if status == "in_force":
                details["number"] = agreement.number
            chain.append(agreement_id, act, actor_id, remote_addr, details, job_key=job_key)
        if agreement.status == "in_force":
            notices.in_force(agreement)
        return {"status": agreement.status}


def _next_value(name: str) -> int:
    """Race-free sequence: UPDATE ... RETURNING on a counter row (created on first use)."""
    session = db.session
    table = Counter.__table__
    bump = update(table).where(table.c.name == name).values(value=table.c.value + 1).returning(table.c.value)
    value = session.execute(bump).scalar()
    if value is None:
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        session.execute(dialect_insert(table).values(name=name, value=0).on_conflict_do_nothing(
            index_elements=[table.c.name]))
        value = session.execute(bump).scalar_one()
    return value


def assign_number(agreement_id: int, job_key: str | None = None) -> str:
    """The agreement number (graduation year + school code + degree level + sequence), once; status signing."""
    with unit_of_work() as session:
        agreement = _lock(agreement_id)
        if agreement.number:
            return agreement.number
        if _ended(agreement, ()) is not None:
            return ""
        student = session.get(Student, agreement.student_id)
        school = str(current_app.config.get("SCHOOL_CODE", "10001"))
        code = degree_code(student.degree)
        seq = _next_value(f"agreement:{student.graduation_year}:{school}:{code}")
        agreement.number = format_number(student.graduation_year, school, student.degree, seq)
        _move(agreement, "signing")
        chain.append(agreement_id, "numbered", None, None, {"number": agreement.number}, job_key=job_key)
        return agreement.number


def rescission_consent(agreement_id: int, decision: str, comment: str | None, actor_id: int | None,
                       job_key: str | None = None,
                       remote_addr: str | None = None) -> dict:
    """The other party's answer to a rescission request."""
    with unit_of_work():
        _lock(agreement_id)
        if decision == "agree":
            chain.append(agreement_id, "rescission_agreed", actor_id, remote_addr, {"comment": comment or ""},
                         job_key=job_key)
        else:
            chain.append(agreement_id, "reviewed", actor_id, remote_addr,
                         {"stage": "rescission_consent", "decision": decision, "comment": comment or ""},
                         job_key=job_key)
        return {"decision": decision}


def rescind(agreement_id: int, decision: str, comment: str | None, actor_id: int | None,
            job_key: str | None = None,
            remote_addr: str | None = None) -> dict:
    """The school's decision on a rescission: approve voids the agreement (its number stays in history)."""
    with unit_of_work():
        agreement = _lock(agreement_id)
        if decision == "approve":
            _move(agreement, "rescinded", comment or "协议已解除")
            chain.append(agreement_id, "rescinded", actor_id, remote_addr,
                         {"comment": comment or "", "number": agreement.number}, job_key=job_key)
        else:
            chain.append(agreement_id, "reviewed", actor_id, remote_addr,
                         {"stage": "rescission_approval", "decision": decision, "comment": comment or ""},
                         job_key=job_key)
        return {"status": agreement.status, "decision": decision}
