"""The agreement's whole life through the web layer with a REAL RQ worker process doing the rendering and
signing: offer -> accept -> a return for correction -> reviews -> three signatures -> number -> download;
then rescission; then a new agreement for the same student with another employer."""
from __future__ import annotations

import multiprocessing
import shutil
import time

import pytest
from sqlalchemy import select

from app.agreements.models import Agreement
from app.engine.models import OpenTask
from tests.agreements.test_agreement_web import issue, make_employer, make_student, work_task
from tests.procs import app_settings, run_worker

pytestmark = pytest.mark.skipif(any(shutil.which(b) is None for b in ("soffice", "pdfsig")),
                                reason="LibreOffice / poppler not installed (config/system-packages.txt)")
SPAWN = multiprocessing.get_context("spawn")


def wait_for(web, instance_id: int, spec_id: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if web.scalar(select(OpenTask.id).where(OpenTask.instance_id == instance_id, OpenTask.spec_id == spec_id)):
            return
        time.sleep(0.2)
    raise AssertionError(f"task {spec_id} never became ready (is the worker running?)")


def wait_status(web, agreement_id: int, status: str, timeout: float = 90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        (row,) = web.query(select(Agreement.status, Agreement.number).where(Agreement.id == agreement_id))
        if row.status == status:
            return row
        time.sleep(0.2)
    raise AssertionError(f"agreement {agreement_id} is {row.status}, not {status}")


def step(web, user: str, instance_id: int, spec_id: str, data: dict, claim: bool = False) -> None:
    """Wait until the worker's jobs have brought the instance to this task, then do it through the web."""
    wait_for(web, instance_id, spec_id)
    work_task(web, user, instance_id, spec_id, data, claim=claim)


def sign_all(web, instance_id: int, student: str, hr: str) -> None:
    step(web, student, instance_id, "student_sign", {"student_sign_confirm": "true"})
    step(web, hr, instance_id, "employer_sign", {"employer_sign_confirm": "true"})
    step(web, "staff1", instance_id, "university_sign", {"university_sign_confirm": "true"}, claim=True)


def test_agreement_life_through_the_web_with_a_real_worker(web, unique):
    web.app.config["RQ_ASYNC"] = True
    worker = SPAWN.Process(target=run_worker, args=(app_settings(web.app), None, False))
    worker.start()
    try:
        student, hr = make_student(web, unique), make_employer(web, unique)
        first = issue(web, hr, student)
        instance_id = web.scalar(select(Agreement.instance_id).where(Agreement.id == first))
        step(web, student, instance_id, "student_respond", {
            "student_decision": "accept", "student_phone": "13800002222", "student_email": "s@example.edu.cn"})
        step(web, "counselor_cs", instance_id, "counselor_review", {
            "counselor_decision": "return", "return_to": "student", "counselor_comment": "邮箱请用学校邮箱"},
            claim=True)
        step(web, student, instance_id, "student_revise",
                  {"student_phone": "13800002222", "student_email": "s2@stu.example.edu.cn"})
        step(web, "counselor_cs", instance_id, "counselor_review",
                  {"counselor_decision": "approve", "counselor_comment": "已核对"}, claim=True)
        step(web, "staff1", instance_id, "office_review",
                  {"office_decision": "approve", "office_comment": "同意"}, claim=True)
        sign_all(web, instance_id, student, hr)
        row = wait_status(web, first, "in_force")
        assert row.number and row.number.startswith("2026-")
        resp = web.client(student).get(f"/agreements/{first}/document.pdf")
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF-")
        from app.platform.document_settings import document_settings
        from documents.pki import ca_certificate_path, load_certificate
        from documents.verify import verify_pdf

        with web.app.app_context():
            report = verify_pdf(resp.data, [load_certificate(ca_certificate_path(document_settings()))])
        assert report.all_ok and len(report.signatures) == 3

        # the audit-trail certificate: asked for on the audit page, made by the worker, then downloaded
        client = web.client(student)
        assert client.get(f"/agreements/{first}/certificate.pdf").status_code == 404  # not made yet
        resp = client.post(f"/agreements/{first}/certificate", data={})
        assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/agreements/{first}/audit")
        assert "正在生成" in client.get(resp.headers["Location"]).get_data(as_text=True)
        deadline = time.time() + 90
        while (resp := client.get(f"/agreements/{first}/certificate.pdf")).status_code == 404 \
                and time.time() < deadline:
            time.sleep(0.3)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        with web.app.app_context():
            report = verify_pdf(resp.data, [load_certificate(ca_certificate_path(document_settings()))])
        assert report.all_ok and report.locked and [s.signer for s in report.signatures] == ["示范大学就业指导中心"]
        assert "下载学校认证的 PDF" in client.get(f"/agreements/{first}/audit").get_data(as_text=True)
        assert web.client("2022010102").get(f"/agreements/{first}/certificate.pdf").status_code == 404  # not his
        assert web.client("2022010102").post(f"/agreements/{first}/certificate", data={}).status_code == 404

        # rescission: the student asks, the employer agrees, the school approves
        client = web.client(student)
        assert client.post(f"/agreements/{first}/rescind", data={"reason": "考取研究生"}).status_code == 302
        deadline, rescission = time.time() + 90, None
        while rescission is None and time.time() < deadline:
            rescission = web.scalar(select(OpenTask.instance_id).where(OpenTask.spec_id == "employer_consent",
                                                                       OpenTask.business_key == f"AGR-{first}"))
            time.sleep(0.2)
        step(web, hr, rescission, "employer_consent",
                  {"consent_decision": "agree", "consent_comment": "同意解约"})
        step(web, "staff1", rescission, "school_approve",
                  {"approval_decision": "approve", "approval_comment": "准予解约"}, claim=True)
        wait_status(web, first, "rescinded")

        # the student is free to sign again, with another employer
        other_hr = make_employer(web, unique[::-1])
        second = issue(web, other_hr, student)
        instance_id = web.scalar(select(Agreement.instance_id).where(Agreement.id == second))
        step(web, student, instance_id, "student_respond", {
            "student_decision": "accept", "student_phone": "13800002222", "student_email": "s2@stu.example.edu.cn"})
        step(web, "counselor_cs", instance_id, "counselor_review",
                  {"counselor_decision": "approve", "counselor_comment": "已核对"}, claim=True)
        step(web, "staff1", instance_id, "office_review",
                  {"office_decision": "approve", "office_comment": "同意"}, claim=True)
        sign_all(web, instance_id, student, other_hr)
        new = wait_status(web, second, "in_force")
        assert new.number != row.number
    finally:
        web.app.config["RQ_ASYNC"] = False
        worker.terminate()
        worker.join(timeout=30)
