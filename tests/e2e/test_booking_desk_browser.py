"""The booking desk and a big screen's page on a phone (390 px), in English, in a real headless Chromium, with a
device simulator of this test's own: a print job and a screen announcement whose device did not answer are
listed in the desk's failed device jobs with "Send again"; a robot out of paper (its event through the signed
webhook route) reaches the desk's staff as a notification that opens the desk; the screen's page shows what it
shows and what could not be sent. Screenshots in test-artifacts/."""
from __future__ import annotations

import re
import time
import uuid

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.bookings import domain
from app.bookings.models import DeviceJob, Resource
from app.identity.demo import DEMO_PASSWORD
from app.identity.models import User, UserRole
from tests.bookings.test_booking_print import _account, _resource, _signed_agreement
from tests.e2e.conftest import PHONE, WAIT, no_sideways_scrolling, shot, sign_in
from tests.e2e.test_print_browser import gateway  # noqa: F401 - fixture
from tests.integrations.devices.conftest import mqtt_url  # noqa: F401 - fixture

QUICK = {"DEVICE_MAX_ATTEMPTS": 2, "DEVICE_ATTEMPT_TIMEOUT_S": 0.5, "DEVICE_CALL_TIMEOUT_S": 1.5}
HAN = re.compile(r"[\u4e00-\u9fff]")


def _clerk(web) -> str:
    """A desk clerk of the test's own: switching to English stays with this account."""
    username = f"desk{uuid.uuid4().hex[:8]}"
    web.add(User(username=username, display_name="Desk clerk", password_hash=generate_password_hash(DEMO_PASSWORD),
                 roles=[UserRole(role="staff")]))
    return username


def _status(web, job_id: int) -> str:
    return web.scalar(select(DeviceJob.status).where(DeviceJob.id == job_id))


def _newest_job(web, resource_id: int) -> int:
    return web.scalar(select(DeviceJob.id).where(DeviceJob.resource_id == resource_id).order_by(DeviceJob.id.desc())
                      .limit(1))


def _wait_for(web, job_id: int, status: str) -> None:
    deadline = time.monotonic() + 30
    while _status(web, job_id) != status:
        assert time.monotonic() < deadline, f"job {job_id} never {status}"
        time.sleep(0.1)


def test_the_desk_and_a_screen_on_a_phone_in_english(web, live_server, browser, gateway):  # noqa: F811
    backend = web.app.config["BACKEND"]
    saved = {k: web.app.config[k] for k in QUICK}
    web.app.config.update(QUICK)
    try:
        unreachable = gateway.add("printer")
        unreachable_id = _resource(web, domain.PRINT_ROBOT, unreachable)
        empty = gateway.add("printer")
        gateway.adjust(empty, paper=0)
        empty_id = _resource(web, domain.PRINT_ROBOT, empty)
        screen = gateway.add("screen")
        screen_id = _resource(web, domain.BIG_SCREEN, screen)
        names = dict(web.query(select(Resource.id, Resource.name)
                               .where(Resource.id.in_((unreachable_id, empty_id, screen_id)))))
        clerk = _clerk(web)

        student = _account(web)
        agreement_id = _signed_agreement(web, student)
        printing = web.client(student)
        gateway.fault(unreachable, "drop")  # until healed
        document = f"agreement:{agreement_id}"
        assert printing.post("/bookings/print", data={"resource": unreachable_id, "document": document,
                                                      "copies": 1}).status_code == 303
        failed_print = _newest_job(web, unreachable_id)
        assert _status(web, failed_print) == "failed"
        gateway.fault(screen, "drop")
        assert web.client(clerk).post(f"/bookings/resources/{screen_id}/screen", data={
            "what": "text", "title": "Notice", "text": "The afternoon talk moves to room 301"}).status_code == 303
        failed_screen = _newest_job(web, screen_id)
        assert _status(web, failed_screen) == "failed"
        # a robot out of paper: its event comes back through the live server's webhook route
        assert printing.post("/bookings/print", data={"resource": empty_id, "document": document,
                                                      "copies": 1}).status_code == 303
        _wait_for(web, _newest_job(web, empty_id), "out_of_paper")
    finally:
        web.app.config.update(saved)

    page = sign_in(browser, live_server, clerk, PHONE, locale="en-US")
    page.click("button[name=lang][value=en]")
    page.wait_for_selector("html[lang=en]")

    # the notification, in English, opens the desk
    page.goto(f"{live_server}/notifications")
    notice = page.locator("li.notification").filter(has_text=f"Print robot out of paper: {names[empty_id]}")
    assert notice.count() == 1 and notice.is_visible()
    assert "is out of paper. Print jobs waiting: 1." in notice.inner_text()
    no_sideways_scrolling(page)
    shot(page, "booking-desk-01-notice-phone-en", backend)
    notice.locator("button.notification-open").click()
    page.wait_for_url(re.compile(r".*/bookings/desk#robots-without-paper$"), timeout=WAIT)

    # the desk: the device jobs that could not be sent, each with "Send again"
    section = page.locator("#failed-device-jobs")
    assert section.is_visible()
    assert section.locator("h2").inner_text() == "Device jobs that could not be sent"
    for resource_id, job_id in ((unreachable_id, failed_print), (screen_id, failed_screen)):
        row = section.locator(f"tr[data-job='{job_id}']")  # a card of its own on a phone
        assert row.is_visible() and row.locator("td").first.inner_text() == names[resource_id]
        labels = row.locator("td[data-label]").evaluate_all("cells => cells.map(c => getComputedStyle(c, '::before')"
                                                            ".content)")
        assert labels == ['"Device: "', '"What: "', '"Asked by: "', '"When: "', '"Problem: "']
        assert "(after 2 attempts)" in row.inner_text()  # the device's error, as the worker recorded it
        again = row.locator(f"form[action$='/bookings/device-jobs/{job_id}/again'] button")
        assert again.is_visible() and again.inner_text() == "Send again"
    screen_row = section.locator(f"tr[data-job='{failed_screen}']")
    assert "Notice The afternoon talk moves to room 301" in screen_row.inner_text()
    assert section.locator("thead").is_hidden()
    paper = page.locator("#robots-without-paper")
    assert paper.is_visible() and names[empty_id] in paper.inner_text() and "1 jobs waiting" in paper.inner_text()
    assert not HAN.search(page.inner_text("h1")) and not HAN.search(section.locator("h2").inner_text())
    no_sideways_scrolling(page)
    section.scroll_into_view_if_needed()
    shot(page, "booking-desk-02-failed-jobs-phone-en", backend, "#failed-device-jobs")
    shot(page, "booking-desk-03-desk-phone-en", backend)

    # the big screen's page: nothing shown (it did not answer), the announcement listed as not sent
    page.goto(f"{live_server}/bookings/resources/{screen_id}/screen")
    assert page.locator("#screen-now h2").inner_text() == "On the screen now"
    assert page.locator("#screen-now [data-showing='']").inner_text() == "The screen is blank."
    sent = page.locator(f"#screen-sent li[data-job='{failed_screen}']")
    assert sent.is_visible() and "The afternoon talk moves to room 301" in sent.inner_text()
    assert sent.locator("button").inner_text() == "Send again"
    assert page.locator("#screen-form button[type=submit]").inner_text() == "Send to the screen"
    no_sideways_scrolling(page)
    shot(page, "booking-desk-04-screen-phone-en", backend)

    # sent again once the screen answers: it shows the announcement, the page follows
    gateway.heal(screen)
    sent.locator("button").click()
    page.wait_for_selector("#screen-now [data-showing=text]", timeout=WAIT)
    assert "The afternoon talk moves to room 301" in page.inner_text("#screen-now")
    no_sideways_scrolling(page)
    shot(page, "booking-desk-05-screen-shown-phone-en", backend)
    gateway.heal(unreachable)
    gateway.adjust(empty, paper=50)
