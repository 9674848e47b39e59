"""A studio booking in a real headless Chromium, with the device simulator and controlled time: a student books
a studio slot from the calendar (on a phone), staff approve it in the inbox, at the start the simulator shows
the studio powered on and recording, the student checks in and ends the use on the booking's page, and the
recording appears on the booking. Screenshots in test-artifacts/."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.bookings import domain
from app.bookings.models import Booking, Resource
from app.engine import timers
from app.platform.extensions import db
from tests.bookings.conftest import clock, simulator  # noqa: F401 - fixtures
from tests.e2e.conftest import DESKTOP, PHONE, WAIT, shot, sign_in
from tests.integrations.devices.conftest import mqtt_url, webhook, webhook_secret  # noqa: F401 - fixtures
from tests.web import ROLE_USERS


def test_book_approve_record_check_in_and_the_recording(web, live_server, browser, simulator, clock):  # noqa: F811
    backend = web.app.config["BACKEND"]
    studio = simulator.add("studio")
    resource_id = web.add(Resource(
        code=f"E2E-{uuid.uuid4().hex[:8]}", name=f"演播室 {uuid.uuid4().hex[:4]}", kind=domain.STUDIO,
        location="就业指导中心 3 楼", booking_mode=domain.APPROVAL, opens="08:00", closes="21:00", closed_weekdays=[],
        closed_dates=[], slot_minutes=60, max_minutes=120, advance_days=14, grace_minutes=15, remind_minutes=60,
        roles=["student"], devices=[{"id": studio.id, "kind": "studio"}], description="", active=True))
    day = date.today() + timedelta(days=3)
    start = datetime.combine(day, time(10), domain.LOCAL_TZ)

    student = sign_in(browser, live_server, ROLE_USERS["student"], PHONE)
    student.goto(f"{live_server}/bookings/resources/{resource_id}?day={day.isoformat()}")
    student.fill("#purpose", "空中面试：华辰科技 后端开发工程师")
    shot(student, "booking-01-calendar-phone", backend)
    student.click(f"li.slot-free[data-start='{start.isoformat()}'] button")
    student.wait_for_url(f"{live_server}/bookings/*", timeout=WAIT)
    booking_id = int(student.url.rsplit("/", 1)[-1])
    assert student.locator(".status-pending").count() == 1

    staff = sign_in(browser, live_server, ROLE_USERS["staff"], DESKTOP)
    staff.goto(f"{live_server}/bookings/{booking_id}")
    staff.click("a:text('到待办中审批')")
    staff.click("button:text('认领')")
    staff.wait_for_selector("form.task-form", timeout=WAIT)
    staff.check("input[name=booking_decision][value=approve]")
    shot(staff, "booking-02-approval", backend)
    staff.click(".form-actions button[value=submit]")
    staff.wait_for_url(f"{live_server}/", timeout=WAIT)

    # the start comes (time controlled): the worker's device step switches the studio on and records
    with web.app.app_context():
        clock.travel_to(start + timedelta(seconds=1))
        timers.fire_due()
        db.session.remove()
    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is True and seen["recording"] is not None

    student.goto(f"{live_server}/bookings/{booking_id}")
    student.click("#check-in")
    student.wait_for_selector(".status-in_use", timeout=WAIT)
    shot(student, "booking-03-in-use", backend)
    clock.travel_to(start + timedelta(minutes=45))
    student.click("#finish")
    student.wait_for_selector("[data-recording] a", timeout=WAIT)
    shot(student, "booking-04-recording", backend)
    assert student.locator(".status-completed").count() == 1
    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is False and len(seen["recordings"]) == 1
    name = web.scalar(select(Booking.recording).where(Booking.id == booking_id))["name"]
    assert student.locator("[data-recording] a").inner_text() == name
    with student.expect_download() as download:
        student.click("[data-recording] a")
    assert download.value.suggested_filename == name
