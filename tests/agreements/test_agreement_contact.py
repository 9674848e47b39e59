"""The phone and e-mail a student gives when accepting an offer reach the agreement: its page and the Excel
export (as the PDF prints them), masked for roles that may not see phone numbers in full."""
from __future__ import annotations

from sqlalchemy import select

from app.agreements.exports import AGREEMENT_COLUMNS
from app.agreements.models import Agreement
from app.engine.models import OpenTask
from app.platform.web import email_breaks
from tests.agreements.test_agreement_web import issue, make_employer, make_student, page, sheet_rows, work_task

COLUMNS = [key for key, _width in AGREEMENT_COLUMNS]


def test_contact_given_when_accepting_reaches_the_page_and_the_export(web, unique):
    student_no, hr = make_student(web, unique), make_employer(web, unique)  # an account with no phone, no e-mail
    agreement_id = issue(web, hr, student_no, position=f"联系方式测试{unique}")
    instance_id = web.scalar(select(Agreement.instance_id).where(Agreement.id == agreement_id))
    email = f"a.very.long.graduate.address.{unique}@mail.example-university.edu.cn"
    work_task(web, student_no, instance_id, "student_respond",
              {"student_decision": "accept", "student_phone": "13800002222", "student_email": email})
    assert web.scalar(select(Agreement.terms).where(Agreement.id == agreement_id))["graduate"] == {
        "phone": "13800002222", "email": email}

    staff_page = page(web.client("staff1").get(f"/agreements/{agreement_id}"))
    assert "13800002222" in staff_page
    # a long address may wrap before its "@" and dots only, never inside a name
    assert f'<dd class="breakable">{email_breaks(email)}</dd>' in staff_page and "<wbr>@mail" in staff_page
    hr_page = page(web.client(hr).get(f"/agreements/{agreement_id}"))
    assert "13800002222" not in hr_page and "138****2222" in hr_page and email_breaks(email) in hr_page

    for username, phone in (("staff1", "13800002222"), ("counselor_cs", "138****2222")):
        rows = sheet_rows(web.client(username).get("/agreements/export.xlsx?status=accepted").data)
        assert "电子邮箱" in rows[0]
        (mine,) = [dict(zip(COLUMNS, r)) for r in rows[1:] if f"联系方式测试{unique}" in r]
        assert mine["phone"] == phone and mine["email"] == email, username


def test_a_seven_digit_phone_is_refused_on_its_field(web, unique):
    student_no, hr = make_student(web, unique), make_employer(web, unique)
    agreement_id = issue(web, hr, student_no)
    instance_id = web.scalar(select(Agreement.instance_id).where(Agreement.id == agreement_id))
    guid = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                      OpenTask.spec_id == "student_respond"))
    resp = web.client(student_no).post(f"/tasks/{guid}", data={
        "__action__": "submit", "student_decision": "accept", "student_phone": "1234567",
        "student_email": "t@example.edu.cn"})
    assert resp.status_code == 422
    assert 'id="f-student_phone-error"' in page(resp) and "手机号码" in page(resp)
    assert web.scalar(select(Agreement.status).where(Agreement.id == agreement_id)) == "offered"
