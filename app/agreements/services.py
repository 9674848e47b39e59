"""Tripartite employment agreements (三方协议): the verbs. Each takes ids and values, does its work in one unit
of work and raises `AgreementError` (message for users) when refused.

Web routes call the use cases at the top (`issue_offer`, `record_act`, `revoke_offer`, `request_rescission`).
The BPMN processes `tripartite_agreement` and `agreement_rescission` change an agreement through their
service tasks (tasks/agreements.py), which call the idempotent *steps* further down (`respond`, `review`,
`update_terms`, `set_status`, `assign_number`, `rescission_consent`, `rescind`); rendering and signing are
app/agreements/pdf.py and run only in RQ jobs. The rules are app/agreements/domain.py.
"""
from __future__ import annotations

import hashlib
import json

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import engine, forms
from app.agreements import (
    anchors,
    certificate,
    chain,
    domain,
    evidence,
    notices,  # also registers the area's notification kinds
    pdf,
    queries,
)
from app.agreements.domain import (
    ACCEPTED,
    DECLINED,
    IN_FORCE,
    IN_REVIEW,
    OFFERED,
    OPEN_STATUSES,
    PROCESS_KEY,
    RESCINDED,
    RESCISSION_KEY,
    REVOKE_MESSAGE,
    REVOKED,
    SIGNING,
    STATUS_LABELS,
    TERM_KEYS,
    AgreementFacts,
    agreement_key,
)
from app.agreements.models import Agreement
from app.employers import queries as employers
from app.engine.models import OpenTask, ProcessInstance
from app.identity.guards import current_policy
from app.identity.models import College, Major, Student, User
from app.identity.queries import principal_of
from app.platform.clock import local_text, parse_cycle, parse_duration
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.sequences import next_value
from app.platform.uow import read_only, unit_of_work



class AgreementError(Exception):
    """A refused agreement action; the message is shown to users. `field`: the offer field at fault, when one is
    (an unknown student number), so the form can show the problem beside it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def terms_problems(terms: dict) -> list[str]:
    """Problems of offer terms against forms/agreement_offer.json (the schema the issue page renders)."""
    form = forms.task_form("agreement_offer.json", "agreement_offer.ui.json")
    errors = forms.validate(form, terms)
    return [f"{form.label_for(path)}：{err.message('zh_CN')}" for path, errs in errors.items() for err in errs]


def _lock(agreement_id: int) -> Agreement:
    agreement = db.session.execute(select(Agreement).where(Agreement.id == agreement_id).with_for_update()
                                   ).scalar_one_or_none()
    if agreement is None:
        raise AgreementError("协议不存在")
    return agreement


def _sha(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# -- use cases (web) ------------------------------------------------------------------------------------

def issue_offer(employer_user_id: int, student_no: str, terms: dict, remote_addr: str | None = None,
                origin: dict | None = None) -> int:
    """The employer invites a student to sign; returns the agreement id (process started, evidence recorded).

    `origin`: where the offer was made, when another area made it ({"kind", "path", "instance_id"}: e.g. the
    interview invitation whose outcome it is): kept on the agreement and in its process data, and linked from
    the agreement's page.

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
        employer = employers.employer(user.employer_id)
        if not employers.is_approved(employer):
            raise AgreementError("贵单位的资质尚未通过学校审核，暂不能发出签约邀请")
        student = session.execute(select(Student).where(Student.student_no == student_no)).scalar_one_or_none()
        student_user = session.get(User, student.user_id) if student is not None else None
        if student is None or student_user is None or not student_user.active:
            raise AgreementError(f"学号 {student_no} 不存在", field="student_no")
        others = session.execute(select(Agreement.status, Agreement.employer_id).where(
            Agreement.student_id == student.user_id, Agreement.status.in_((IN_FORCE, *OPEN_STATUSES)))).all()
        if any(s == IN_FORCE for s, _e in others):
            raise AgreementError("该学生已有生效的三方协议，不能再向其发出签约邀请")
        if any(e == employer.id and s in OPEN_STATUSES for s, e in others):
            raise AgreementError("贵单位已向该学生发出签约邀请，请等待学生答复或先撤回原邀请")
        try:
            definition = engine.latest_definition(PROCESS_KEY)
        except engine.NotFound:
            raise AgreementError("签约流程尚未部署，请联系管理员") from None
        now = utcnow()
        deadline = now + window_delta
        agreement = Agreement(student_id=student.user_id, employer_id=employer.id, status=OFFERED, terms=terms,
                              created_by=user.id, offered_at=now, response_deadline=deadline,
                              origin=_origin(origin))
        session.add(agreement)
        try:
            session.flush()
        except IntegrityError:  # a concurrent offer of the same employer won (uq_agreement_one_open_offer)
            raise AgreementError("贵单位已向该学生发出签约邀请，请等待学生答复或先撤回原邀请") from None
        key = agreement_key(agreement.id)
        evidence.append(agreement.id, "offered", user.id, remote_addr,
                     {"employer_id": employer.id, "student_no": student_no, "terms": terms,
                      "terms_sha256": _sha(terms), "response_deadline": deadline})
        college = session.get(College, student.college_id)
        major = session.get(Major, student.major_id)
        data = {
            "agreement_id": agreement.id, "agreement_key": key,
            "lane_owners": {"employer": [user.id], "student": [student.user_id]},
            "response_window": window, "reminder_cycle": cycle, "response_deadline": local_text(deadline),
            "student_name": student_user.display_name, "student_no": student.student_no,
            "college_name": college.name if college else "", "major_name": major.name if major else "",
            "degree": student.degree, "employer_name": employer.name, "employer_credit_code": employer.credit_code,
            **terms,
        }
        if agreement.origin:
            data["origin"] = agreement.origin
        if student_user.phone:
            data["student_phone"] = student_user.phone
        if student_user.email:
            data["student_email"] = student_user.email
        agreement.instance_id = engine.start_instance(
            definition, data, business_key=key, started_by=user.id,
            scope={"college": student.college_id, "employer": employer.id})
        session.commit()
        return agreement.id


def _origin(origin: dict | None) -> dict | None:
    """Only a site path and ids: the agreement page links to it."""
    if not origin:
        return None
    path = str(origin.get("path") or "")
    instance_id = origin.get("instance_id")
    if not path.startswith("/") or path.startswith("//") or len(path) > 200:
        raise AgreementError("来源链接不正确")
    return {"kind": str(origin.get("kind") or "")[:30], "path": path,
            "instance_id": int(instance_id) if instance_id is not None else None}


def record_act(agreement_id: int, act: str, actor_id: int | None, remote_addr: str | None = None,
               details: dict | None = None, document_sha256: str | None = None) -> None:
    """Append an act to the agreement's evidence chain (the web records viewed / downloaded / verified)."""
    if act not in chain.ACTS:
        raise AgreementError(f"未知的行为类型：{act}")
    with unit_of_work() as uow:
        try:
            evidence.append(agreement_id, act, actor_id, remote_addr, details, document_sha256)
        except LookupError:
            raise AgreementError("协议不存在") from None
        uow.commit()


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
        if not domain.is_open(agreement.status):
            raise AgreementError(f"协议当前状态为“{STATUS_LABELS.get(agreement.status, agreement.status)}”，不能撤回")
        agreement.status, agreement.ended_at, agreement.end_reason = REVOKED, utcnow(), reason
        evidence.append(agreement_id, "revoked", employer_user_id, remote_addr, {"reason": reason})
        try:
            engine.deliver_message(REVOKE_MESSAGE, {"revoke_reason": reason},
                                   {"business_key": agreement_key(agreement_id)}, actor_id=employer_user_id)
        except engine.CorrelationError:
            raise AgreementError("签约流程已结束，不能撤回") from None
        session.commit()


def request_rescission(agreement_id: int, requester_user_id: int, reason: str,
                       remote_addr: str | None = None) -> int:
    """The student or the employer asks to rescind an agreement in force; returns the rescission instance."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise AgreementError("请填写解约原因")
    with unit_of_work() as session:
        agreement = _lock(agreement_id)
        if agreement.status != IN_FORCE:
            raise AgreementError("只有已生效的协议可以申请解约")
        user = session.get(User, requester_user_id)
        facts = AgreementFacts(agreement.student_id, agreement.employer_id, None, agreement.status)
        requested_by = None if user is None else domain.rescission_requester(
            user.id, user.employer_id, user.role_names, facts)
        if requested_by is None:
            raise AgreementError("只有协议的毕业生或用人单位可以申请解约")
        label = {"student": "毕业生", "employer": "用人单位"}[requested_by]
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
        employer = employers.employer(agreement.employer_id)
        student_user = session.get(User, agreement.student_id)
        student = session.get(Student, agreement.student_id)
        employer_users = employers.user_ids(agreement.employer_id)
        evidence.append(agreement_id, "rescission_requested", requester_user_id, remote_addr,
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
        instance_id = engine.start_instance(definition, data, business_key=key, started_by=requester_user_id,
                                            scope={"college": student.college_id,
                                                   "employer": agreement.employer_id})
        session.commit()
        return instance_id


# -- steps of the processes (called by tasks/agreements.py; each safe to run twice) --------------------

def _move(agreement: Agreement, target: str, reason: str | None = None) -> bool:
    """Set the status if the lifecycle allows it; False when it is already there."""
    if agreement.status == target:
        return False
    if not domain.can_transition(agreement.status, target):
        raise AgreementError(f"协议状态不能从 {agreement.status} 变为 {target}")
    now = utcnow()
    agreement.status = target
    if target == IN_FORCE:
        agreement.in_force_at = now
    if domain.is_final(target) and target != IN_FORCE:
        agreement.ended_at = now
        agreement.end_reason = reason or agreement.end_reason
    return True


def _ended(agreement: Agreement, allowed: tuple[str, ...]) -> dict | None:
    """A step that arrives after the agreement ended another way (revoked meanwhile) does nothing."""
    if domain.is_final(agreement.status) and agreement.status not in allowed:
        return {"status": agreement.status, "skipped": True}
    return None


def respond(agreement_id: int, decision: str, reason: str, contact: dict | None, actor_id: int | None,
            job_key: str | None = None,
            remote_addr: str | None = None) -> dict:
    """The student's answer. Accepting is refused (recorded as declined) while the student has another
    agreement in progress or in force."""
    with unit_of_work() as uow:
        agreement = _lock(agreement_id)
        if agreement.status != OFFERED:  # answered already (a re-run) or ended meanwhile
            return {"status": agreement.status, "reason": agreement.end_reason or ""}
        if decision == "accept" and queries.student_is_busy(agreement.student_id, agreement_id):
            reason = "已有生效或正在签署的三方协议，不能接受新的邀请"
            _move(agreement, DECLINED, reason)
            evidence.append(agreement_id, "declined", actor_id, remote_addr, {"reason": reason, "automatic": True},
                            job_key=job_key)
            outcome = {"status": DECLINED, "reason": reason}
        elif decision == "accept":
            contact = {k: str(v) for k, v in (contact or {}).items() if k in ("phone", "email") and v}
            agreement.terms = {**(agreement.terms or {}), "graduate": contact}
            _move(agreement, ACCEPTED)
            evidence.append(agreement_id, "accepted", actor_id, remote_addr, {"contact": contact}, job_key=job_key)
            outcome = {"status": ACCEPTED, "reason": ""}
        else:
            reason = (reason or "").strip() or "学生拒绝了签约邀请"
            _move(agreement, DECLINED, reason)
            evidence.append(agreement_id, "declined", actor_id, remote_addr, {"reason": reason}, job_key=job_key)
            outcome = {"status": DECLINED, "reason": reason}
        uow.commit()
        return outcome


def review(agreement_id: int, stage: str, decision: str, comment: str | None, return_to: str | None,
           actor_id: int | None, job_key: str | None = None,
           remote_addr: str | None = None) -> dict:
    """Counselor (stage "counselor") or career office ("office"): approve, or return for correction."""
    with unit_of_work() as uow:
        agreement = _lock(agreement_id)
        if (ended := _ended(agreement, ())) is not None:
            return ended
        if decision == "return":
            _move(agreement, ACCEPTED)
            evidence.append(agreement_id, "returned", actor_id, remote_addr,
                            {"stage": stage, "return_to": return_to, "reason": comment or ""}, job_key=job_key)
        else:
            if stage == "counselor":
                _move(agreement, IN_REVIEW)
            evidence.append(agreement_id, "reviewed", actor_id, remote_addr,
                            {"stage": stage, "decision": decision, "comment": comment or ""}, job_key=job_key)
        uow.commit()
        return {"status": agreement.status, "decision": decision}


def update_terms(agreement_id: int, part: str, values: dict, actor_id: int | None,
                 job_key: str | None = None,
                 remote_addr: str | None = None) -> dict:
    """A correction after a return: the graduate's contact (part "graduate") or the job terms ("terms")."""
    values = dict(values or {})
    with unit_of_work() as uow:
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
        evidence.append(agreement_id, "filled", actor_id, remote_addr, {"part": part, "changes": changes},
                        job_key=job_key)
        uow.commit()
        return {"changed": sorted(changes)}


def set_status(agreement_id: int, status: str, act: str | None, reason: str | None, actor_id: int | None,
               job_key: str | None = None,
               remote_addr: str | None = None) -> dict:
    """A status change decided by the process (expired, in_force, ...), with its evidence entry."""
    with unit_of_work() as uow:
        agreement = _lock(agreement_id)
        if (ended := _ended(agreement, (status,))) is not None:
            return ended
        _move(agreement, status, reason)
        try:
            uow.flush()
        except IntegrityError:  # uq_agreement_one_in_force
            raise AgreementError("该学生已有一份生效的三方协议") from None
        if act:
            details = {"reason": reason} if reason else {}
            if status == IN_FORCE:
                details["number"] = agreement.number
            evidence.append(agreement_id, act, actor_id, remote_addr, details, job_key=job_key)
        if agreement.status == IN_FORCE:
            notices.in_force(agreement)
        uow.commit()
        return {"status": agreement.status}


def assign_number(agreement_id: int, job_key: str | None = None) -> str:
    """The agreement number (graduation year + school code + degree level + sequence), once; status signing."""
    with unit_of_work() as uow:
        agreement = _lock(agreement_id)
        if agreement.number:
            return agreement.number
        if _ended(agreement, ()) is not None:
            return ""
        student = uow.get(Student, agreement.student_id)
        school = str(current_app.config.get("SCHOOL_CODE", "10001"))
        seq = next_value(domain.number_sequence(student.graduation_year, school, student.degree))
        agreement.number = domain.format_number(student.graduation_year, school, student.degree, seq)
        _move(agreement, SIGNING)
        evidence.append(agreement_id, "numbered", None, None, {"number": agreement.number}, job_key=job_key)
        uow.commit()
        return agreement.number


def rescission_consent(agreement_id: int, decision: str, comment: str | None, actor_id: int | None,
                       job_key: str | None = None,
                       remote_addr: str | None = None) -> dict:
    """The other party's answer to a rescission request."""
    with unit_of_work() as uow:
        _lock(agreement_id)
        if decision == "agree":
            evidence.append(agreement_id, "rescission_agreed", actor_id, remote_addr, {"comment": comment or ""},
                            job_key=job_key)
        else:
            evidence.append(agreement_id, "reviewed", actor_id, remote_addr,
                            {"stage": "rescission_consent", "decision": decision, "comment": comment or ""},
                            job_key=job_key)
        uow.commit()
        return {"decision": decision}


def rescind(agreement_id: int, decision: str, comment: str | None, actor_id: int | None,
            job_key: str | None = None,
            remote_addr: str | None = None) -> dict:
    """The school's decision on a rescission: approve voids the agreement (its number stays in history)."""
    with unit_of_work() as uow:
        agreement = _lock(agreement_id)
        if decision == "approve":
            _move(agreement, RESCINDED, comment or "协议已解除")
            evidence.append(agreement_id, "rescinded", actor_id, remote_addr,
                            {"comment": comment or "", "number": agreement.number}, job_key=job_key)
        else:
            evidence.append(agreement_id, "reviewed", actor_id, remote_addr,
                            {"stage": "rescission_approval", "decision": decision, "comment": comment or ""},
                            job_key=job_key)
        uow.commit()
        return {"status": agreement.status, "decision": decision}


# -- document steps (RQ jobs only: LibreOffice and the signing keys stay out of web requests) ------------------

def _signing_skipped(agreement_id: int) -> dict | None:
    """A document step that arrives after the agreement left signing (revoked meanwhile) does nothing."""
    with read_only() as session:
        status = session.execute(select(Agreement.status).where(Agreement.id == agreement_id)).scalar()
    if status not in (SIGNING, IN_FORCE):
        return {"skipped": True, "status": status}
    return None


def render_document(agreement_id: int) -> dict:
    """Version 1 of the PDF (unsigned), once."""
    return _signing_skipped(agreement_id) or pdf.render(agreement_id)


class SignerMismatch(AgreementError, engine.PermanentFailure):
    """The account that confirmed a signing task is not the party whose certificate would sign."""


def sign_document(agreement_id: int, party: str, actor_id: int | None, job_key: str | None = None,
                  remote_addr: str | None = None) -> dict:
    """The party's PAdES signature on the next version, with its `signed` evidence entry (the confirming user
    is recorded as the actor). Refused (an incident, nothing signed) unless that user is the party: the
    person in the evidence, the account that acted and the certificate that signs always agree."""
    skipped = _signing_skipped(agreement_id)
    if skipped:
        return skipped
    with read_only() as session:
        _agreement, facts = queries.facts_of(agreement_id)
        signer = session.get(User, actor_id) if actor_id is not None else None
        allowed = domain.may_sign_for(party, principal_of(signer, current_policy()) if signer else None, facts)
    if not allowed:
        raise SignerMismatch(f"协议 {agreement_id}：确认{party}签署的账号（{actor_id}）不是该签署方，拒绝以其证书签名")
    return pdf.sign(agreement_id, party, actor_id, job_key, remote_addr=remote_addr)


def anchor_evidence(agreement_id: int) -> str:
    """Seal the head of the agreement's evidence chain outside the database (app/agreements/anchors.py)."""
    made = anchors.anchor_head(agreement_id)
    return made.seal_path.name if made is not None else ""


def build_certificate(agreement_id: int, verify_url: str) -> str:
    """The audit-trail certificate of the evidence's current state (made once per state); its file name."""
    return certificate.build(agreement_id, verify_url).name


def remind(agreement_id: int, instance_id: int, task_spec_id: str, key: str) -> tuple[int, list[int]]:
    """催签: remind whoever the open task `task_spec_id` of the signing process waits for, once per `key` (the
    timer's job). Returns (notifications recorded, recipients); nothing when the task is done meanwhile."""
    with unit_of_work() as uow:
        task = uow.execute(select(OpenTask).where(OpenTask.instance_id == instance_id,
                                                  OpenTask.spec_id == task_spec_id)).scalar_one_or_none()
        if task is None:
            return 0, []
        sent, recipients = notices.remind(agreement_id, task, key)
        uow.commit()
    return sent, recipients


class UnreadablePdf(Exception):
    """An uploaded file pyHanko cannot read (damaged, not a complete PDF, hostile)."""


def verify_document(content: bytes, actor_id: int | None = None, remote_addr: str | None = None) -> dict:
    """Check an uploaded agreement PDF: its signatures (pyHanko, trusting the installation CA) and which stored
    version it is. A file that matches a stored version gets a `verified` evidence entry.

    Returns {"report" (documents.verify.VerificationReport), "sha256", "all_ok", "locked", "signatures": [...],
    "agreement_id", "number", "version", "kind", "latest", "status", "ended_at"} (the agreement fields None when
    the file matches no stored version; `status` is the agreement's today, which may no longer be in force).
    """
    try:
        report = queries.signature_report(content)
    except Exception as err:  # noqa: BLE001 - whatever pyHanko raises on a bad file, the answer is the same
        raise UnreadablePdf(str(err)) from err
    result = {**report.as_dict(), "report": report, "agreement_id": None, "number": None, "version": None,
              "kind": None, "latest": None, "status": None, "ended_at": None}
    with read_only():
        found = pdf.match(report.sha256)
        if found is not None:
            agreement, doc = found
            newest = pdf.latest(agreement.id)
            result.update(agreement_id=agreement.id, number=agreement.number, version=doc.version, kind=doc.kind,
                          latest=newest is not None and newest.id == doc.id, status=agreement.status,
                          ended_at=agreement.ended_at)
    if result["agreement_id"] is not None:
        record_act(result["agreement_id"], "verified", actor_id, remote_addr,
                   {"version": result["version"], "all_ok": report.all_ok}, report.sha256)
    return result
