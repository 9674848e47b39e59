"""The tripartite agreement end to end through the services, the engine and a REAL RQ worker process:
offer -> accept -> counselor returns once -> fixed -> reviews -> number -> PDF -> three signatures (validated by
pyHanko and poppler's pdfsig, tampering detected) -> in force -> rescission -> a new agreement with another
employer (office returns to the employer, reminders fire) -> in force.

Needs LibreOffice, poppler and NSS tools like tests/documents/test_documents.py.
"""
from __future__ import annotations

import io
import json
import multiprocessing
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from app import engine
from app.agreements import certificate as agreement_certificate
from app.agreements import evidence
from app.agreements import pdf as agreement_documents
from app.agreements import queries as agreement_queries
from app.agreements import services as agreements
from app.agreements.services import AgreementError
from app.engine import timers
from app.engine.models import Job
from app.engine.registry import OPERATIONS, JobContext
from app.platform.document_settings import document_settings
from app.platform.extensions import db
from documents import pki, seal, verify
from tests.agreements.test_agreement_helpers import (  # noqa: F401 - fixtures
    TASK_CLIENT,
    TERMS,
    agreement,
    complete,
    deployed,
    people,
    wait_for,
    wait_status,
    wait_task,
)
from tests.pdf_tools import flip_byte_in_signed_content, pdftotext
from tests.procs import app_settings, run_worker

BINARIES = ("soffice", "pdfsig", "pdftotext", "certutil")
_MISSING = [b for b in BINARIES if shutil.which(b) is None]
if _MISSING and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    pytest.fail(f"CI: missing {', '.join(_MISSING)}: install config/system-packages.txt", pytrace=False)
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"system binaries missing: {', '.join(_MISSING)}")

SPAWN = multiprocessing.get_context("spawn")
ACCEPT = {"student_decision": "accept", "student_phone": "13800001111", "student_email": "zsf@example.edu.cn"}
APPROVE_C = {"counselor_decision": "approve", "counselor_comment": "信息核对无误，同意"}
APPROVE_O = {"office_decision": "approve", "office_comment": "同意签约"}


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory) -> Path:
    """One installation PKI for the whole session (both backends)."""
    return tmp_path_factory.mktemp("agreement_pki")


@pytest.fixture
def worker(ctx, deployed, pki_dir):
    """The PKI made once here; a real RQ worker process on the test queue for the duration of the test."""
    saved = {k: ctx.config.get(k) for k in ("DOCUMENTS_KEY_DIR", "RQ_ASYNC")}
    ctx.config["DOCUMENTS_KEY_DIR"] = str(pki_dir)
    made = agreement_documents.ensure_installation_pki()
    ctx.config["RQ_ASYNC"] = True
    process = SPAWN.Process(target=run_worker, args=(app_settings(ctx), {"DOCUMENTS_KEY_DIR": str(pki_dir)}, False))
    process.start()
    try:
        yield made
    finally:
        process.terminate()  # SIGTERM: RQ's warm shutdown; LibreOffice is closed at exit
        process.join(timeout=60)
        if process.is_alive():
            process.kill()
            process.join()
        ctx.config.update(saved)


def ctx_var_dir() -> str:
    return current_app.config["VAR_DIR"]


def _reminders(task_guid: str) -> list:
    """The 催签 notifications about one signing task."""
    from app.notifications.models import Notification

    try:
        return list(db.session.execute(select(Notification).where(
            Notification.kind == "agreement.reminder", Notification.link == f"/tasks/{task_guid}")).scalars())
    finally:
        db.session.rollback()


def _sign_all(instance_id: int, student: int, hr: int, staff: int, remind: bool = False) -> list[dict]:
    """The three signing steps; with `remind`, let each party be late once and collect the reminders."""
    reminders = []
    for spec, actor, key in (("student_sign", student, "student_sign_confirm"),
                             ("employer_sign", hr, "employer_sign_confirm"),
                             ("university_sign", staff, "university_sign_confirm")):
        task = wait_task(instance_id, spec)
        if spec == "university_sign":  # a group task: claimed first, as in the inbox
            engine.claim_task(task.task_guid, staff)
        if remind:
            time.sleep(0.45)  # the reminder cycle in this agreement is R1/PT0.4S
            timers.fire_due()
            db.session.rollback()
            reminders.append(wait_for(lambda: _reminders(task.task_guid), instance_id, f"reminder for {spec}",
                                      timeout=30))
        complete(instance_id, spec, {key: True}, actor)
    return reminders


def test_agreement_from_offer_to_rescission_and_a_new_agreement(people, worker, tmp_path):
    settings = document_settings()
    ca_path = pki.ca_certificate_path(settings)
    student, student_no = people.student("张三丰")
    _employer_a, hr_a = people.employer("北京星河科技有限公司")
    _employer_b, hr_b = people.employer("江南数据股份有限公司")
    counselor, staff = people.counselor, people.staff

    # -- offer, answer, reviews with one return for correction -------------------------------------------
    first = agreements.issue_offer(hr_a, student_no, TERMS, "10.0.0.1")
    instance_id = agreement(first).instance_id
    agreements.record_act(first, "viewed", student, "10.0.0.2")
    complete(instance_id, "student_respond", {**ACCEPT, "student_phone": "13800009999"}, student)
    complete(instance_id, "counselor_review", {"counselor_decision": "return", "return_to": "student",
                                               "counselor_comment": "联系电话有误，请更正"}, counselor)
    complete(instance_id, "student_revise", {"student_phone": "13800001111", "student_email": "zsf@example.edu.cn"},
             student)
    complete(instance_id, "counselor_review", APPROVE_C, counselor)
    complete(instance_id, "office_review", APPROVE_O, staff)

    # -- number before the PDF, then three signatures in order ------------------------------------------
    wait_task(instance_id, "student_sign", timeout=120)  # the worker starts LibreOffice for the first PDF
    row = agreement(first)
    assert row.status == "signing" and re.fullmatch(r"2026-10001-B-\d{6}", row.number)
    assert agreement_queries.latest_document(first).kind == "unsigned"
    db.session.rollback()
    _sign_all(instance_id, student, hr_a, staff)
    row = wait_status(first, "in_force")
    assert row.in_force_at is not None
    # the employer was told the student had signed, and that the agreement is in force
    from app.notifications.models import Notification
    from app.notifications.render import render

    told = {n.kind: render(n.title, n.body, n.params, "zh_CN") for n in db.session.execute(
        select(Notification).where(Notification.user_id == hr_a)).scalars()}
    db.session.rollback()
    assert "张三丰 已签署" in told["agreement.sign_next"][1]
    assert told["agreement.in_force"][0] == f"三方协议 {row.number} 已生效"

    doc = agreement_queries.latest_document(first)
    versions = agreement_documents.versions(first)
    db.session.rollback()
    assert [d.kind for d in versions] == ["unsigned", "signed_student", "signed_employer", "signed_university"]
    assert doc.version == 4 and doc.path == f"agreements/{first}/v4-signed_university-{doc.sha256[:16]}.pdf"
    assert (Path(ctx_var_dir()) / "documents" / doc.path).is_file()
    pdf = agreement_queries.document_bytes(doc)
    assert agreement_documents.match(doc.sha256)[0].id == first
    db.session.rollback()

    report = verify.verify_pdf(pdf, [ca_path])
    assert [s.signer for s in report.signatures] == ["张三丰", "北京星河科技有限公司", "示范大学就业指导中心"]
    assert report.all_ok and report.locked, [s.summary for s in report.signatures]
    assert all(s.intact and s.trusted and s.timestamp_trusted for s in report.signatures)
    pdfsig = verify.run_pdfsig(pdf, worker["nss_db"])
    assert [s.signature_status for s in pdfsig] == ["Signature is Valid."] * 3, pdfsig
    assert all(s.trusted for s in pdfsig)

    checked = agreements.verify_document(pdf, None, "10.0.0.5")
    assert checked["all_ok"] and checked["locked"] and checked["agreement_id"] == first and checked["latest"]
    assert checked["number"] == row.number and len(checked["signatures"]) == 3
    tampered = flip_byte_in_signed_content(pdf, versions[0].size)
    checked = agreements.verify_document(tampered)
    assert not checked["all_ok"] and checked["agreement_id"] is None
    assert not any(s.intact for s in verify.verify_pdf(tampered, [ca_path]).signatures)
    assert not any(s.valid for s in verify.run_pdfsig(tampered, worker["nss_db"]))
    stored = agreement_documents.documents_dir() / doc.path
    stored.write_bytes(tampered)  # a file changed on disk is refused, not served
    with pytest.raises(agreement_queries.DocumentUnreadable, match="篡改"):
        agreement_queries.document_bytes(doc)
    stored.write_bytes(pdf)

    text = re.sub(r"\s+", "", pdftotext(pdf, tmp_path))
    for value in ("就业协议书", "张三丰", student_no, "计算机科学与技术学院", "软件工程", "北京星河科技有限公司",
                  "后端开发工程师", "北京市海淀区", "15,000元/月", "3个月", "违约金人民币伍仟元", "人才公寓",
                  "北京市海淀区人才服务中心", "13800001111", row.number):
        assert value in text, value

    entries = evidence.entries(first)
    assert [e.act for e in entries] == [
        "offered", "viewed", "accepted", "returned", "filled", "reviewed", "reviewed", "numbered",
        "signed", "signed", "signed", "in_force", "verified"]
    signed = [e for e in entries if e.act == "signed"]
    assert [e.actor_id for e in signed] == [student, hr_a, staff]
    assert [e.document_sha256 for e in signed] == [d.sha256 for d in versions[1:]]
    assert entries[3].actor_id == counselor and entries[3].details["reason"] == "联系电话有误，请更正"
    # a person's act carries the address it came from, also when a worker records it after the task
    # a person's act keeps the address it came from, also when a worker records it after the user task
    task = TASK_CLIENT
    assert [e.remote_addr for e in entries] == [
        "10.0.0.1", "10.0.0.2", task, task, task, task, task, None, task, task, task, None, "10.0.0.5"]
    db.session.rollback()
    assert agreement_queries.evidence_problems(first) == []

    # -- the audit-trail certificate: a PDF certified by the university, one per state of the chain -----
    path = agreement_certificate.build(first, "https://jy.example.edu.cn/verify")
    certificate = path.read_bytes()
    assert agreement_certificate.build(first, "https://jy.example.edu.cn/verify") == path  # not made twice
    report = verify.verify_pdf(certificate, [ca_path])
    (sig,) = report.signatures
    assert sig.signer == "示范大学就业指导中心" and report.all_ok and report.locked, sig.summary
    assert sig.docmdp == "NO_CHANGES" and sig.pades_level == "B-T" and sig.timestamp_trusted
    assert [s.signature_status for s in verify.run_pdfsig(certificate, worker["nss_db"])] == ["Signature is Valid."]
    text = re.sub(r"\s+", "", pdftotext(certificate, tmp_path))
    for value in ("就业协议书签署审计证书", row.number, "张三丰", "北京星河科技有限公司", "发出签约邀请", "退回修改：联系电话有误",
                  "已记录", doc.sha256, entries[-1].entry_hash, "完整"):
        assert value in text, value
    # the certificate goes to both parties: client addresses stay on the career office's pages
    assert "10.0.0.5" not in text and TASK_CLIENT not in text
    # the chain's head, sealed outside the database (signed, RFC 3161 timestamp), printed and attached
    assert "三、链头锚定" in text and str(len(entries)) in text
    from pyhanko.pdf_utils.reader import PdfFileReader

    attached = PdfFileReader(io.BytesIO(certificate)).root["/Names"]["/EmbeddedFiles"]["/Names"]
    files = {str(attached[i]): attached[i + 1].get_object()["/EF"]["/F"].get_object().data
             for i in range(0, len(attached), 2)}
    name = f"{len(entries):06d}-{entries[-1].entry_hash[:16]}"
    assert seal.check(files[f"{name}.json"], files[f"{name}.p7s"], [ca_path]).ok
    assert json.loads(files[f"{name}.json"])["head_hash"] == entries[-1].entry_hash
    assert verify.verify_pdf(flip_byte_in_signed_content(certificate, len(certificate) // 2), [ca_path]).all_ok is False
    agreements.record_act(first, "viewed", student, "10.0.0.9")  # a new entry: a new certificate
    assert agreement_certificate.path_for(first) != path and agreement_certificate.current(first) is None
    db.session.rollback()

    # -- every service task of the process run again (a job delivered twice): nothing changes ----------
    jobs = db.session.execute(select(Job.id, Job.operation, Job.params, Job.idempotency_key, Job.attempts)
                              .where(Job.instance_id == instance_id).order_by(Job.id)).all()
    db.session.rollback()
    assert {j.operation for j in jobs} >= {"agreement.respond", "agreement.review", "agreement.update_terms",
                                           "agreement.assign_number", "agreement.render", "agreement.sign",
                                           "agreement.set_status"}

    def snapshot():
        return ([e.entry_hash for e in evidence.entries(first)],
                [d.sha256 for d in agreement_documents.versions(first)])

    before = snapshot()
    for job in jobs:
        context = JobContext(job.id, instance_id, f"AGR-{first}", job.idempotency_key, job.attempts + 1)
        OPERATIONS[job.operation](dict(job.params), context)
    # two deliveries racing: the loser's file is dropped, the registered one stays intact
    assert agreement_documents._store(first, 4, "signed_university", b"%PDF-1.7 loser")["sha256"] == doc.sha256
    assert sorted(p.name for p in stored.parent.iterdir()) == sorted(Path(d.path).name for d in versions)
    assert snapshot() == before and agreement(first).status == "in_force"
    assert agreement_queries.document_bytes(doc) == pdf

    # -- rescission: the student asks, the employer agrees, the school approves -------------------------
    with pytest.raises(AgreementError, match="只有协议的毕业生或用人单位"):
        agreements.request_rescission(first, hr_b, "不相干的单位")
    rescission = agreements.request_rescission(first, student, "考取研究生，申请解约", "10.0.0.3")
    with pytest.raises(AgreementError, match="进行中的解约申请"):
        agreements.request_rescission(first, hr_a, "再申请一次")
    complete(rescission, "employer_consent", {"consent_decision": "agree", "consent_comment": "同意，已收违约金"}, hr_a)
    complete(rescission, "school_approve", {"approval_decision": "approve", "approval_comment": "同意解约"}, staff)
    row = wait_status(first, "rescinded")
    assert row.number and row.ended_at is not None
    assert [e.act for e in evidence.entries(first)][-3:] == [
        "rescission_requested", "rescission_agreed", "rescinded"]
    db.session.rollback()

    # -- a new agreement with another employer reaches in force ----------------------------------------
    second = agreements.issue_offer(hr_b, student_no, {**TERMS, "position": "数据工程师", "reminder_cycle": "R1/PT0.4S"})
    instance_id = agreement(second).instance_id
    complete(instance_id, "student_respond", ACCEPT, student)
    complete(instance_id, "counselor_review", APPROVE_C, counselor)
    complete(instance_id, "office_review", {"office_decision": "return", "return_to": "employer",
                                            "office_comment": "月薪与招聘公告不一致"}, staff)
    complete(instance_id, "employer_revise", {**TERMS, "position": "数据工程师", "monthly_pay": 18000}, hr_b)
    complete(instance_id, "counselor_review", APPROVE_C, counselor)
    complete(instance_id, "office_review", APPROVE_O, staff)
    reminders = _sign_all(instance_id, student, hr_b, staff, remind=True)
    # 催签: each reminder went to whoever the late task waited for
    assert [[n.user_id for n in batch] for batch in reminders] == [[student], [hr_b], [staff]]
    from app.notifications.render import render

    title, body = render(reminders[0][0].title, reminders[0][0].body, reminders[0][0].params, "zh_CN")
    assert title.startswith("【催签】") and "学生签署" in body
    row = wait_status(second, "in_force")
    assert row.number != agreement(first).number and row.terms["monthly_pay"] == 18000
    text = re.sub(r"\s+", "", pdftotext(agreement_queries.document_bytes(agreement_queries.latest_document(second)), tmp_path))
    assert "18,000元/月" in text and "数据工程师" in text and "江南数据股份有限公司" in text
    # (only these two: other tests deliberately tamper with rows of their own agreements)
    assert agreement_queries.evidence_problems(first) == [] and agreement_queries.evidence_problems(second) == []
