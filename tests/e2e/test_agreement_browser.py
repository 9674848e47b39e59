"""The agreement in a real headless Chromium: the signing task shows the document before the sign button, the
rescission letter uploaded by the other party is previewed for the school's reviewer and on the agreement
page, and /verify warns that a genuinely signed agreement is no longer in force once rescinded.

The steps nobody looks at go through the web client (jobs run in the request: RQ_ASYNC is off in tests)."""
from __future__ import annotations

import re
import shutil
import threading

import pytest
from sqlalchemy import select

from app.agreements.models import Agreement
from app.engine.models import Job, OpenTask
from tests.agreements.test_agreement_web import agreement_to_sign, work_task
from tests.e2e.conftest import shot, sign_in
from tests.forms.test_review_pages import png_bytes

pytestmark = pytest.mark.skipif(any(shutil.which(b) is None for b in ("soffice", "pdfsig")),
                                reason="LibreOffice / poppler not installed (config/system-packages.txt)")


def task_guid(web, instance_id: int, spec_id: str) -> str:
    guid = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                      OpenTask.spec_id == spec_id))
    assert guid, f"no open task {spec_id}: {failed_jobs(web, instance_id)}"
    return guid


def failed_jobs(web, instance_id: int) -> list:
    return [tuple(r) for r in web.query(select(Job.operation, Job.status, Job.last_error)
                                        .where(Job.instance_id == instance_id, Job.last_error.is_not(None)))]


def aside(fn, *args, **kwargs):
    """Run a step that signs (its job runs in the request; pyHanko calls asyncio.run) off the main thread, where
    Playwright's own event loop runs."""
    outcome: list = []

    def run():
        try:
            outcome.append(("ok", fn(*args, **kwargs)))
        except BaseException as err:  # noqa: BLE001 - re-raised in the test's thread
            outcome.append(("error", err))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return value


def image_loaded(page, selector: str) -> bool:
    page.wait_for_selector(selector)
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_sign_after_seeing_the_document_then_rescind_with_a_letter_and_verify(browser, live_server, web, unique,
                                                                              tmp_path):
    backend = web.app.config["BACKEND"]
    base = live_server
    student_no, hr, agreement_id, instance_id = agreement_to_sign(web, unique)

    # 4. the student's signing task: the document first (preview and download), then the button
    student = sign_in(browser, base, student_no)
    student.goto(f"{base}/tasks/{task_guid(web, instance_id, 'student_sign')}")
    preview = student.locator(".task-document object.bpm-file-preview__pdf")
    preview.wait_for(state="attached")
    url = preview.get_attribute("data")
    assert re.search(rf"/agreements/{agreement_id}/document\.pdf\?preview=1$", url)
    shown = student.request.get(f"{base}{url}")
    assert shown.ok and shown.headers["content-type"] == "application/pdf"
    assert shown.headers["content-disposition"].startswith("inline") and shown.body().startswith(b"%PDF-")
    download = student.locator(".task-document a.bpm-file-preview__download")
    assert student.request.get(f"{base}{download.get_attribute('href')}").headers[
        "content-disposition"].startswith("attachment")
    before = student.evaluate("""() => {
        const doc = document.querySelector('.task-document');
        const sign = document.querySelector('[name=student_sign_confirm]');
        return !!(doc.compareDocumentPosition(sign) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    assert before, "the document must come before the sign button"
    shot(student, "agreement-01-sign-with-document", backend)
    student.check("[name=student_sign_confirm]")
    student.click(".form-actions button[value=submit]")
    student.wait_for_url(f"{base}/")
    aside(work_task, web, hr, instance_id, "employer_sign", {"employer_sign_confirm": "true"})
    task_guid(web, instance_id, "university_sign")
    aside(work_task, web, "staff1", instance_id, "university_sign", {"university_sign_confirm": "true"}, claim=True)
    assert web.scalar(select(Agreement.status).where(Agreement.id == agreement_id)) == "in_force"
    signed = web.client(student_no).get(f"/agreements/{agreement_id}/document.pdf").data
    assert signed.startswith(b"%PDF-")

    # 1. rescission: the employer agrees and uploads the letter; the school's reviewer sees it in the page
    assert web.client(student_no).post(f"/agreements/{agreement_id}/rescind",
                                       data={"reason": "考取研究生，申请解约"}).status_code == 302
    rescission_id = web.scalar(select(OpenTask.instance_id).where(OpenTask.spec_id == "employer_consent",
                                                                 OpenTask.business_key == f"AGR-{agreement_id}"))
    employer = sign_in(browser, base, hr)
    employer.goto(f"{base}/tasks/{task_guid(web, rescission_id, 'employer_consent')}")
    employer.check("input[name=consent_decision][value=agree]")
    employer.fill("[name=consent_comment]", "同意解约，解约函见附件")
    letter = tmp_path / "解约函.png"
    letter.write_bytes(png_bytes())
    employer.set_input_files("[name=breach_letter]", str(letter))
    employer.click(".form-actions button[value=submit]")
    employer.wait_for_url(f"{base}/")

    staff = sign_in(browser, base, "staff1")
    approve = task_guid(web, rescission_id, "school_approve")
    staff.goto(f"{base}/tasks/{approve}")
    staff.click("button:text('认领'), button:text('Claim')")
    staff.wait_for_selector("form.task-form")
    assert image_loaded(staff, "#f-breach_letter img.bpm-file-preview__image")
    assert "解约函.png" in staff.inner_text("#f-breach_letter")
    shot(staff, "agreement-02-rescission-letter", backend)
    staff.check("input[name=approval_decision][value=approve]")
    staff.fill("[name=approval_comment]", "同意解约")
    staff.click(".form-actions button[value=submit]")
    staff.wait_for_url(f"{base}/")
    assert web.scalar(select(Agreement.status).where(Agreement.id == agreement_id)) == "rescinded"

    # ... and whoever may see the agreement finds it on the agreement's page
    student.goto(f"{base}/agreements/{agreement_id}")
    assert image_loaded(student, "#rescission-files img.bpm-file-preview__image")
    shot(student, "agreement-03-page-with-letter", backend)
    src = student.get_attribute("#rescission-files img", "src")
    assert web.client("hr_jiangnan").get(src).status_code == 404  # another employer: no such agreement

    # 5. the signatures still check out, but the agreement is no longer in force: /verify says so
    anonymous = browser.new_page(locale="zh-CN")
    anonymous.goto(f"{base}/verify")
    copy = tmp_path / "agreement.pdf"
    copy.write_bytes(signed)
    anonymous.set_input_files("#pdf", str(copy))
    anonymous.click(".verify-form button[type=submit]")
    warning = anonymous.locator("[data-not-in-force]")
    warning.wait_for()
    assert "已解约，不再有效" in warning.inner_text()
    assert anonymous.locator(".verdict.bad").count() == 1
    assert "已解约" in anonymous.inner_text("[data-agreement-status]")
    shot(anonymous, "agreement-04-verify-rescinded", backend)
