"""Browser flows in a real headless Chromium: a student's recommendation request and its review, an employer's
offer and the student's answer. Screenshots are kept in test-artifacts/."""
from __future__ import annotations

import re

from tests.e2e.conftest import shot, sign_in


def test_student_and_counselor_flow(browser, live_server, web):
    backend = web.app.config["BACKEND"]
    base = live_server
    student = sign_in(browser, base, "2022010102")
    shot(student, "01-inbox", backend)
    student.goto(f"{base}/processes/")
    student.click("form:has(h2:text('就业推荐表申请')) button[type=submit]")
    student.wait_for_selector("form.task-form")
    shot(student, "02-task-form", backend)
    # first an error: a phone number that is not one, and a too-short self-assessment
    student.fill("[name=phone]", "12345")
    student.fill("[name=email]", "lina@example.edu.cn")
    student.select_option("[name=target_industry]", "it")
    student.fill("[name=target_city]", "杭州")
    student.fill("[name=self_assessment]", "太短")
    student.click(".form-actions button[value=submit]")
    student.wait_for_selector("[aria-invalid=true]")
    shot(student, "03-form-errors", backend)
    assert student.locator("[name=phone][aria-invalid=true]").count() == 1
    assert student.input_value("[name=target_city]") == "杭州"  # input kept
    # then fixed
    student.fill("[name=phone]", "13912345678")
    student.fill("[name=self_assessment]", "在校期间担任班长，组织多次志愿活动，专业成绩排名前百分之十。")
    student.click(".form-actions button[value=submit]")
    student.wait_for_url(f"{base}/")
    assert "已提交" in student.content() or "Submitted" in student.content()

    counselor = sign_in(browser, base, "counselor_cs")
    counselor.goto(f"{base}/?view=groups")
    shot(counselor, "04-group-tasks", backend)
    counselor.click(".task-cards a:text('辅导员审核')")
    counselor.click("button:text('认领'), button:text('Claim')")
    counselor.wait_for_selector("form.task-form")
    # the comment is required only when returning: its star follows the decision
    comment_star = counselor.locator("label[for=f-counselor_comment] .bpm-required")
    counselor.check("input[name=counselor_decision][value=return]")
    assert comment_star.is_visible()
    counselor.check("input[name=counselor_decision][value=approve]")
    assert not comment_star.is_visible()
    shot(counselor, "05-claimed-task", backend)
    counselor.click(".form-actions button[value=submit]")
    counselor.wait_for_url(f"{base}/")

    student.goto(f"{base}/processes/mine")
    student.click("table.list a")
    student.wait_for_selector("#diagram[data-ready=true]", timeout=15000)
    assert student.locator("#diagram .hl-completed").count() >= 2
    assert student.locator("#diagram .hl-active").count() >= 1
    shot(student, "06-instance-diagram", backend)


def test_employer_issues_an_offer_and_staff_sees_the_agreement(browser, live_server, web):
    backend = web.app.config["BACKEND"]
    base = live_server
    employer = sign_in(browser, base, "hr_jiangnan")
    employer.goto(f"{base}/agreements/new")
    shot(employer, "07-offer-form", backend)
    employer.fill("[name=student_no]", "2022030101")
    employer.fill("[name=position]", "管培生")
    employer.fill("[name=work_location]", "南京市鼓楼区")
    employer.fill("[name=monthly_pay]", "12000")
    employer.fill("[name=probation_months]", "3")
    employer.fill("[name=contract_years]", "3")
    employer.fill("[name=breach_terms]", "违约方支付违约金 3000 元。")
    employer.fill("[name=archive_address]", "南京市人才服务中心")
    employer.click("form button[type=submit].primary")
    employer.wait_for_selector("[aria-invalid=true]")  # hukou transfer is required: the error, input kept
    assert employer.input_value("[name=position]") == "管培生"
    employer.check("input[name=hukou_transfer][value=true]")
    employer.click("form button[type=submit].primary")
    employer.wait_for_url(re.compile(r".*/agreements/\d+$"))
    shot(employer, "08-agreement-detail", backend)
    assert "管培生" in employer.content() and "张" not in employer.title()
    # the student's answer: the reason field only when refusing, phone and e-mail only when accepting
    student = sign_in(browser, base, "2022030101")
    student.click(".task-cards a:text('确认签约邀请')")
    student.wait_for_selector("form.task-form")
    reason, phone = student.locator("[name=decline_reason]"), student.locator("[name=student_phone]")
    assert not reason.is_visible() and not phone.is_visible()
    student.check("input[name=student_decision][value=refuse]")
    assert reason.is_visible() and not phone.is_visible()
    student.check("input[name=student_decision][value=accept]")
    assert phone.is_visible() and not reason.is_visible() and reason.is_disabled()
    shot(student, "08b-student-answer", backend)
    staff = sign_in(browser, base, "staff1")
    staff.goto(f"{base}/agreements/")
    shot(staff, "09-agreement-list", backend)
    assert "江南银行" in staff.content()
    anonymous = browser.new_page(locale="zh-CN")
    anonymous.goto(f"{base}/verify")
    shot(anonymous, "10-verify", backend)
