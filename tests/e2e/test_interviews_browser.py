"""The fair in a real headless Chromium: a student on a phone (390 px) opens a booth's check-in link as the QR
code would, the hall's board shows his number, the employer calls it at the console, and the student's page
shows "please come to booth X" with sound and vibration without reloading; the offer made at the booth is a
tripartite agreement in the student's inbox. Screenshots in test-artifacts/ (phone and big screen, Chinese
and English)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.identity.demo import DEMO_PASSWORD
from app.identity.models import User
from tests.e2e.conftest import PHONE, no_sideways_scrolling, shot, sign_in

BIG_SCREEN = {"width": 1920, "height": 1080}
# Records what the page asks of the phone: vibrations and tones (headless Chromium has no speaker or motor).
SENSORS = """
window.__vibrations = [];
navigator.vibrate = function (pattern) { window.__vibrations.push(pattern); return true; };
window.__tones = 0;
const Original = window.AudioContext;
if (Original) {
  const create = Original.prototype.createOscillator;
  Original.prototype.createOscillator = function () { window.__tones += 1; return create.call(this); };
}
"""


@pytest.fixture
def fair(web):
    """Today's fair with a hall whose booth B01 is 江南银行's (applied and approved through the process), and a
    student of its own (a password, so that the browser can sign in)."""
    from app.engine.models import OpenTask
    from app.identity.demo import add_accounts
    from app.interviews import domain, fairs
    from app.interviews.models import Booth, Position
    from app.platform.extensions import db
    from app.platform.uow import unit_of_work
    from app.engine import complete_task

    tag = uuid.uuid4().hex[:6]
    username = f"2026{tag}"
    now = datetime.now(timezone.utc)
    with web.app.app_context():
        staff = db.session.execute(select(User.id).where(User.username == "staff1")).scalar()
        recruiter, employer = db.session.execute(select(User.id, User.employer_id).where(
            User.username == "hr_jiangnan")).one()
        with unit_of_work() as uow:
            add_accounts(uow.session, [(username, f"测试学生{tag}", ["student"], {"student": ("FL01", "女", "")})],
                         DEMO_PASSWORD, {})
            uow.commit()
        fair_id = fairs.create_fair(staff, domain.FairInput(
            f"浏览器测试双选会{tag}", now.date(), now - timedelta(hours=1), now + timedelta(hours=4), "体育馆", 500,
            now.date(), 3, 5, (("B", "二号馆", 1, 2),)), today=now.date())
        fairs.set_fair_status(fair_id, domain.FAIR_OPEN)
        position_ids = list(db.session.execute(select(Position.id).where(
            Position.employer_id == employer, Position.status == domain.PUBLISHED)).scalars())
        application = fairs.apply_for_booth(recruiter, fair_id, position_ids, "B")
        guid = db.session.execute(select(OpenTask.task_guid).where(
            OpenTask.business_key == domain.booth_application_key(application))).scalar()
        db.session.rollback()
        complete_task(guid, {"booth_decision": "approve"}, staff)
        booth = db.session.execute(select(Booth).where(Booth.fair_id == fair_id, Booth.employer_id == employer)
                                   ).scalar_one()
        info = {"fair": fair_id, "booth": booth.id, "hall": booth.hall_id, "code": booth.code, "student": username}
        db.session.remove()
    return info


def test_scan_board_call_alert_and_offer_at_the_booth(browser, live_server, web, fair):
    backend = web.app.config["BACKEND"]
    base = live_server
    employer = sign_in(browser, base, "hr_jiangnan")
    employer.goto(f"{base}/booths/{fair['booth']}/qr")
    link = re.search(r"https?://[^\s<\"]+/checkin/[A-Za-z0-9_.\-]+", employer.content())[0]
    checkin_path = "/" + link.split("/", 3)[3]
    shot(employer, "fair-01-qr-poster", backend)

    # the student's phone opens the link the QR code holds and joins the queue
    student = sign_in(browser, base, fair["student"], PHONE, init_script=SENSORS)
    student.goto(base + checkin_path)
    assert fair["code"] in student.content()
    shot(student, "fair-02-checkin-phone", backend)
    student.click("button[type=submit].primary")
    student.wait_for_url(re.compile(rf".*/fairs/{fair['fair']}/me$"))
    student.wait_for_selector("html[data-live=open]")
    assert "001" in student.inner_text(".my-ticket .number")
    student.click("[data-enable-alerts]")  # a tap unlocks sound and vibration, as browsers require
    student.evaluate("window.__sameDocument = true")
    shot(student, "fair-03-my-queue-phone", backend)
    no_sideways_scrolling(student)

    # the hall's big screen shows his number as the next one
    board = browser.new_page(locale="zh-CN", viewport=BIG_SCREEN)
    board.goto(f"{base}/fairs/{fair['fair']}/halls/{fair['hall']}/board")
    booth = f"[data-booth='{fair['booth']}']"
    assert board.inner_text(f"{booth} [data-next-numbers]") == "001"
    board.wait_for_selector("html[data-live=open]")

    # the employer calls next at the console
    employer.goto(f"{base}/booths/{fair['booth']}/console")
    employer.wait_for_selector("html[data-live=open]")
    employer.click("[data-call]")
    employer.wait_for_selector(".busy-ticket")
    shot(employer, "fair-04-console-called", backend)

    # the student's page tells him at once: alert, tones, vibration; no reload
    alert = student.wait_for_selector("[data-alert]:not([hidden])", timeout=15000)
    assert fair["code"] in alert.inner_text() and "001" in alert.inner_text()
    assert student.evaluate("window.__sameDocument") is True
    assert student.evaluate("window.__tones") >= 3
    assert len(student.evaluate("window.__vibrations")) >= 2  # the tap's and the call's
    # his ticket follows by itself: called, no place or wait shown any more; still the same page
    student.wait_for_function("document.querySelector('.my-ticket').dataset.status === 'called'", timeout=15000)
    assert student.is_hidden(".my-ticket [data-standing]")
    assert student.evaluate("window.__sameDocument") is True
    shot(student, "fair-05-called-alert-phone", backend)
    # and the board shows him being called, without a reload
    board.wait_for_function(f"document.querySelector(\"{booth} [data-current]\").textContent.includes('001')",
                            timeout=15000)
    shot(board, "fair-06-board", backend)

    # the interview, and an offer at the booth
    employer.click(".busy-ticket form[action$='/start'] button")
    employer.wait_for_selector("form[data-finish]")
    employer.check("form[data-finish] input[name=outcome][value=offer]")
    employer.fill("form[data-finish] input[name=monthly_pay]", "9200")
    shot(employer, "fair-07-console-offer", backend)
    employer.click("form[data-finish] button[type=submit]")
    employer.wait_for_selector(".flash.success")
    assert "offer" in employer.inner_text(".flashes").lower()

    student.goto(f"{base}/")
    assert "确认签约邀请" in student.content()  # the tripartite agreement waits for his answer
    shot(student, "fair-08-inbox-with-agreement-phone", backend)
    no_sideways_scrolling(student)


def test_recruiting_pages_at_phone_size_in_both_languages(browser, live_server, web):
    """Every page a student uses during recruiting fits a 390 px phone (no sideways scrolling), in Chinese and
    in English."""
    backend = web.app.config["BACKEND"]
    base = live_server
    with web.app.app_context():
        from app.interviews.demo import FAIR_TITLE
        from app.interviews.models import JobFair, Position
        from app.platform.extensions import db

        fair_id = db.session.execute(select(JobFair.id).where(JobFair.title == FAIR_TITLE)).scalars().first()
        position_id = db.session.execute(select(Position.id).where(Position.status == "published")).scalars().first()
        db.session.remove()
    for locale, lang in (("zh-CN", "zh"), ("en-US", "en")):
        student = sign_in(browser, base, "2022010101", PHONE, locale=locale)
        if lang == "en":
            student.click("button[name=lang][value=en]")
            student.wait_for_selector("html[lang=en]")
        for name, path in (("positions", "/positions/"), ("position", f"/positions/{position_id}"),
                           ("applications", "/positions/applications"), ("fairs", "/fairs/"),
                           ("fair", f"/fairs/{fair_id}"), ("my-queue", f"/fairs/{fair_id}/me"),
                           ("invitations", "/invitations/")):
            student.goto(base + path)
            no_sideways_scrolling(student)
            shot(student, f"fair-phone-{lang}-{name}", backend)
        if lang == "en":
            assert "Interview invitations" in student.content() and not re.search(r"[\u4e00-\u9fff]{2}", student.inner_text("h1"))
        student.close()
