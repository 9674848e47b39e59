"""Notifications and English mode in a real headless Chromium: the bell follows another user's action without
a reload, the e-mail reaches a real SMTP server, the notification centre at desktop and phone size, and a
task form entirely in English (titles, options, an error message). Screenshots go to test-artifacts/."""
from __future__ import annotations

import re

from sqlalchemy import update

from app.identity.models import User
from tests.e2e.conftest import PHONE, no_sideways_scrolling, shot, sign_in
from tests.notifications.test_notifications_web import STUDENT_FORM, start_and_submit
from tests.smtp_server import smtp  # noqa: F401 - the fixture
from tests.web import ROLE_USERS


def bell_count(page) -> int:
    return int(page.get_attribute("[data-bell]", "data-count") or page.inner_text("[data-bell] [data-unread]") or 0)


def test_the_bell_follows_another_users_action_and_the_email_arrives(browser, live_server, web, smtp):
    backend = web.app.config["BACKEND"]
    student_no = ROLE_USERS["student"]
    address = f"{student_no}@student.demo-university.edu.cn"
    with web.app.app_context():
        from app.platform.extensions import db

        db.session.execute(update(User).where(User.username == student_no).values(email=address, locale="zh_CN"))
        db.session.commit()
        db.session.remove()
    _instance, review = start_and_submit(web, student_no)

    student = sign_in(browser, live_server, student_no)
    student.wait_for_selector("html[data-live=open]")
    student.evaluate("window.__sameDocument = true")  # gone if the page reloads
    before = bell_count(student)

    # the counselor, in another browser, claims the review and returns the request for correction
    counselor = sign_in(browser, live_server, "counselor_cs")
    counselor.goto(f"{live_server}/tasks/{review}")
    counselor.click("button:text('认领'), button:text('Claim')")
    counselor.wait_for_selector("form.task-form")
    counselor.check("input[name=counselor_decision][value=return]")
    counselor.fill("[name=counselor_comment]", "请补充实习经历，自我评价再具体一些。")
    counselor.click(".form-actions button[value=submit]")
    counselor.wait_for_url(f"{live_server}/")

    # the student's open page learns of it by itself
    student.wait_for_function(f"Number(document.querySelector('[data-bell]').dataset.count || 0) > {before}",
                              timeout=15000)
    assert student.evaluate("window.__sameDocument") is True
    toast = student.wait_for_selector("[data-live-toast]:not([hidden])")
    assert "新待办" in toast.inner_text() and "填写就业推荐表" in toast.inner_text()
    shot(student, "notify-01-bell-updated", backend)

    # and by e-mail, in Chinese, with the link to the task
    mail = smtp.wait_for(address)
    assert mail["Subject"] == "新待办：填写就业推荐表"
    text = mail.get_body(("plain",)).get_content()
    assert re.search(r"https://career\.demo-university\.edu\.cn/tasks/[0-9a-f-]{36}", text)

    # the notification centre: open the new one -> its task, marked read
    student.click("[data-bell]")
    student.wait_for_selector("ul.notifications li.notification.unread")
    shot(student, "notify-02-centre-desktop", backend)
    student.set_viewport_size(PHONE)
    shot(student, "notify-03-centre-phone", backend)
    no_sideways_scrolling(student)
    unread = bell_count(student)
    student.click("ul.notifications li.notification.unread .notification-open >> nth=0")
    student.wait_for_url(re.compile(r".*/tasks/[0-9a-f-]{36}$"))
    assert bell_count(student) == unread - 1


def test_a_form_in_english_all_the_way(browser, live_server, web):
    backend = web.app.config["BACKEND"]
    student = sign_in(browser, live_server, "2022020101")
    student.click("button[name=lang][value=en]")  # the language switch in the header
    student.wait_for_selector("html[lang=en]")
    student.goto(f"{live_server}/processes/")
    student.click("form:has(h2:text('Employment recommendation request')) button[type=submit]")
    student.wait_for_selector("form.task-form")
    page = student.content()
    for english in ("Fill in the employment recommendation form", "Mobile number", "Preferred industry",
                    "Self-assessment", "At least 20 characters", "Your counselor reviews it after you submit"):
        assert english in page, english
    options = student.eval_on_selector_all("[name=target_industry] option", "els => els.map(e => e.textContent.trim())")
    assert "Information technology" in options and "Finance" in options
    assert not re.search(r"[\u4e00-\u9fff]", student.inner_text("form.task-form")), "Chinese left in the form"
    student.fill("[name=phone]", "12345")
    student.fill("[name=email]", "wangfang@example.edu.cn")
    student.select_option("[name=target_industry]", "finance")
    student.fill("[name=self_assessment]", STUDENT_FORM["self_assessment"])
    student.click(".form-actions button[value=submit]")
    student.wait_for_selector("[aria-invalid=true]")
    summary = student.inner_text(".bpm-error-summary")
    assert "There is a problem" in summary and "Mobile number" in summary
    assert "Enter a valid mobile number" in student.inner_text(".bpm-field--error .bpm-error-message")
    assert not re.search(r"[\u4e00-\u9fff]", summary)
    shot(student, "notify-04-english-form-desktop", backend)
    student.set_viewport_size(PHONE)
    shot(student, "notify-05-english-form-phone", backend)
    # the diagram's names too
    student.goto(f"{live_server}/processes/mine")
    assert "Employment recommendation request" in student.content()
    # the account's language back as it was: the language is kept on the account, other tests read Chinese
    student.click("button[name=lang][value=zh_CN]")
    student.wait_for_selector("html[lang=zh-CN]")
