"""Printing at a print robot in a real headless Chromium (a phone): a student picks their signed agreement and a
robot; the job goes through the worker's entry point to a device simulator of this test's own, whose status
events come back through the platform's signed webhook route (over loopback HTTP, as from a real gateway) and
reach the open page as live events: out of paper, then printed once paper is loaded, with no reload. Staff
put an announcement on a big screen and see it there. A room's calendar shows a slot booked elsewhere as taken,
without reloading. Screenshots in test-artifacts/."""
from __future__ import annotations

import secrets

import pytest

from app.bookings import domain
from app.bookings.models import Resource
from tests.bookings.test_booking_print import _account, _resource, _signed_agreement
from tests.e2e.conftest import DESKTOP, PHONE, WAIT, no_sideways_scrolling, shot, sign_in
from tests.integrations.devices.conftest import mqtt_url, start_simulator, stop_simulator  # noqa: F401
from tests.web import ROLE_USERS

KEYS = ("DEVICE_GATEWAY_URL", "DEVICE_GATEWAY_TOKEN", "DEVICE_WEBHOOK_SECRET", "DEVICE_WEBHOOK_SECRETS")


@pytest.fixture
def gateway(web, live_server, mqtt_url, tmp_path):  # noqa: F811
    """A simulator whose webhook is the live server's route; the app calls it and checks its signatures."""
    secret = secrets.token_urlsafe(24)
    sim = start_simulator(tmp_path, mqtt_url, f"{live_server}/bookings/devices/events", secret,
                          extra=["--page-s", "0.3"])
    saved = {k: web.app.config.get(k) for k in KEYS}
    web.app.config.update(DEVICE_GATEWAY_URL=sim.url, DEVICE_GATEWAY_TOKEN=sim.token, DEVICE_WEBHOOK_SECRET=secret,
                          DEVICE_WEBHOOK_SECRETS={})
    yield sim
    web.app.config.update(saved)
    stop_simulator(sim)


def test_print_the_agreement_on_a_phone_and_watch_its_status_live(web, live_server, browser, gateway):
    backend = web.app.config["BACKEND"]
    printer = gateway.add("printer")
    gateway.adjust(printer, paper=0)
    robot_id = _resource(web, domain.PRINT_ROBOT, printer)
    username = _account(web)
    agreement_id = _signed_agreement(web, username, pages=2)

    student = sign_in(browser, live_server, username, PHONE)
    student.goto(f"{live_server}/bookings/print")
    student.select_option("select[name=document]", f"agreement:{agreement_id}")
    student.select_option("select[name=resource]", str(robot_id))
    shot(student, "print-01-form-phone", backend)
    no_sideways_scrolling(student)
    student.click("#print-form button[type=submit]")
    student.wait_for_url(f"{live_server}/bookings/print", timeout=WAIT)
    student.wait_for_selector("html[data-live=open]", timeout=WAIT)
    student.evaluate("window.__samePage = true")
    student.wait_for_selector("[data-job][data-status=out_of_paper]", timeout=WAIT)  # by the robot's event
    shot(student, "print-02-out-of-paper", backend)
    gateway.adjust(printer, paper=100)
    student.wait_for_selector("[data-job][data-status=done]", timeout=WAIT)
    assert student.evaluate("window.__samePage === true")  # followed live, never reloaded
    assert "已打印" in student.inner_text("#print-jobs")
    shot(student, "print-03-printed", backend)
    (job,) = gateway.inspect(printer)["jobs"]
    assert job["status"] == "done" and job["printed"] == 2

    screen = gateway.add("screen")
    screen_id = _resource(web, domain.BIG_SCREEN, screen)
    staff = sign_in(browser, live_server, ROLE_USERS["staff"], DESKTOP)
    staff.goto(f"{live_server}/bookings/resources/{screen_id}/screen")
    staff.check("input[name=what][value=text]")
    staff.fill("input[name=title]", "通知")
    staff.fill("textarea[name=text]", "下午两点宣讲会移至 3 楼报告厅")
    staff.click("#screen-form button[type=submit]")
    staff.wait_for_selector("#screen-now [data-showing=text]", timeout=WAIT)
    assert "3 楼报告厅" in staff.inner_text("#screen-now")
    assert gateway.inspect(screen)["state"]["text"] == "下午两点宣讲会移至 3 楼报告厅"
    shot(staff, "print-04-screen", backend)
    assert browser.blocked == []


def test_the_calendar_shows_a_slot_taken_elsewhere_without_reloading(web, live_server, browser):
    """Two students on one room's calendar: when one books a slot (here through the web by another session),
    the other's open page shows it taken by itself, from the resource's live channel."""
    import uuid
    from datetime import date, datetime, time, timedelta

    backend = web.app.config["BACKEND"]
    room = web.add(Resource(
        code=f"LIVE-{uuid.uuid4().hex[:8]}", name=f"面试间 {uuid.uuid4().hex[:4]}", kind=domain.INTERVIEW_ROOM,
        location="就业指导中心 2 楼", booking_mode=domain.DIRECT, opens="08:00", closes="20:00", closed_weekdays=[],
        closed_dates=[], slot_minutes=60, max_minutes=60, advance_days=14, grace_minutes=10, remind_minutes=30,
        roles=["student"], devices=[], description="", active=True))
    day = date.today() + timedelta(days=2)
    start = datetime.combine(day, time(15), domain.LOCAL_TZ).isoformat()
    watcher = sign_in(browser, live_server, _account(web), PHONE)
    watcher.goto(f"{live_server}/bookings/resources/{room}?day={day.isoformat()}")
    watcher.wait_for_selector("html[data-live=open]", timeout=WAIT)
    watcher.evaluate("window.__samePage = true")
    assert watcher.locator(f"li.slot-free[data-start='{start}']").count() == 1
    booked = web.client(_account(web)).post(f"/bookings/resources/{room}/book",
                                             data={"start": start, "slots": "1", "purpose": "模拟面试"})
    assert booked.status_code == 303
    watcher.wait_for_selector(f"li.slot-taken[data-start='{start}']", timeout=WAIT)
    assert watcher.evaluate("window.__samePage === true")
    shot(watcher, "print-05-calendar-live", backend)
