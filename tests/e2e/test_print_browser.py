"""Printing at a print robot in a real headless Chromium (a phone): a student picks their signed agreement and a
robot; the job goes through the worker's entry point to a device simulator of this test's own, whose status
events come back through the platform's signed webhook route (over loopback HTTP, as from a real gateway) and
reach the open page as live events: out of paper, then printed once paper is loaded, with no reload. Staff
put an announcement on a big screen and see it there. Screenshots in test-artifacts/."""
from __future__ import annotations

import secrets

import pytest

from app.bookings import domain
from tests.bookings.test_booking_print import _account, _resource, _signed_agreement
from tests.e2e.test_browser import ARTIFACTS, ASSET, CHROMIUM, browser, live_server  # noqa: F401 - fixtures
from tests.e2e.test_interviews_browser import no_sideways_scrolling, sign_in
from tests.integrations.devices.conftest import mqtt_url, start_simulator, stop_simulator  # noqa: F401
from tests.web import ROLE_USERS

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed (make system-deps)"),
    pytest.mark.skipif(not ASSET.exists(), reason="front-end assets not built (make install runs npm ci)"),
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WAIT = 30_000
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


def shot(page, name: str, backend: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{backend}-print-{name}.png"), full_page=True)


def test_print_the_agreement_on_a_phone_and_watch_its_status_live(web, live_server, browser, gateway):  # noqa: F811
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
    shot(student, "01-form-phone", backend)
    assert no_sideways_scrolling(student)
    student.click("#print-form button[type=submit]")
    student.wait_for_url(f"{live_server}/bookings/print", timeout=WAIT)
    student.wait_for_selector("html[data-live=open]", timeout=WAIT)
    student.evaluate("window.__samePage = true")
    student.wait_for_selector("[data-job][data-status=out_of_paper]", timeout=WAIT)  # by the robot's event
    shot(student, "02-out-of-paper", backend)
    gateway.adjust(printer, paper=100)
    student.wait_for_selector("[data-job][data-status=done]", timeout=WAIT)
    assert student.evaluate("window.__samePage === true")  # followed live, never reloaded
    assert "已打印" in student.inner_text("#print-jobs")
    shot(student, "03-printed", backend)
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
    shot(staff, "04-screen", backend)
    assert browser.blocked == []
