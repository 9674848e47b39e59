"""Printing at a print robot and content on a big screen, through the web, the worker's entry point and the
device simulator (a real subprocess): a student prints their signed agreement; the robot's status events
(as the simulator sent them) come back through the signed webhook route onto the job and out as live
events; out of paper, a jam, lost answers (one print only), an unreachable robot (failed, listed on the
staff desk, sent again from there with the same key: still one print); a student cannot print another's
agreement; the webhook refuses bad signatures, stale and malformed events and takes a replayed one once;
staff put a board, a page or an announcement on a screen and see what it shows; booking changes reach the
calendar's channel."""
from __future__ import annotations

import hashlib
import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from app.agreements.models import Agreement, AgreementDocument
from app.bookings import domain
from app.bookings.models import DeviceJob, DeviceState, Resource
from app.identity.models import Employer, User
from integrations.devices import webhook
from integrations.devices.results import DeviceEvent
from tests.integrations.devices.helpers import sample_pdf
from tests.web import ROLE_USERS

EVENTS_URL = "/bookings/devices/events"


def _account(web) -> str:
    """A student of the test's own (the demo students' agreements stay as other tests expect them)."""
    from werkzeug.security import generate_password_hash

    from app.identity.demo import DEMO_PASSWORD
    from app.identity.models import UserRole

    username = f"p{uuid.uuid4().hex[:10]}"
    web.add(User(username=username, display_name="打印测试", password_hash=generate_password_hash(DEMO_PASSWORD),
                 roles=[UserRole(role="student")]))
    return username


@pytest.fixture
def student(web) -> str:
    return _account(web)


@pytest.fixture
def other(web) -> str:
    return _account(web)


@pytest.fixture
def secret(app, webhook_secret):
    """The app checks the webhook with the secret the simulator signs with."""
    saved = app.config.get("DEVICE_WEBHOOK_SECRET"), app.config.get("DEVICE_WEBHOOK_SECRETS")
    app.config.update(DEVICE_WEBHOOK_SECRET=webhook_secret, DEVICE_WEBHOOK_SECRETS={})
    yield webhook_secret
    app.config["DEVICE_WEBHOOK_SECRET"], app.config["DEVICE_WEBHOOK_SECRETS"] = saved


def _resource(web, kind: str, device) -> int:
    return web.add(Resource(code=f"T-{uuid.uuid4().hex[:10]}", name=f"测试{uuid.uuid4().hex[:4]}", kind=kind,
                            location="大厅", booking_mode=domain.NOT_BOOKABLE, opens="08:00", closes="21:00",
                            closed_weekdays=[], closed_dates=[], slot_minutes=15, max_minutes=15, advance_days=1,
                            grace_minutes=5, remind_minutes=0, roles=["student"],
                            devices=[{"id": device.id, "kind": device.kind}], description="", active=True))


class Robot:
    def __init__(self, simulator, printer, resource_id: int):
        self.simulator, self.printer, self.resource_id = simulator, printer, resource_id

    def jobs(self) -> list[dict]:
        return list(self.simulator.inspect(self.printer)["jobs"])


@pytest.fixture
def robot(web, simulator, secret) -> Robot:
    printer = simulator.add("printer")
    return Robot(simulator, printer, _resource(web, domain.PRINT_ROBOT, printer))


def _signed_agreement(web, username: str, pages: int = 2) -> int:
    """An agreement of `username` whose latest PDF carries the student's signature (the file in place)."""
    from app.agreements import pdf

    pdf_bytes = sample_pdf(pages)
    sha = hashlib.sha256(pdf_bytes).hexdigest()
    with web.app.app_context():
        from app.platform.extensions import db

        student = db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        employer = db.session.execute(select(Employer.id).order_by(Employer.id).limit(1)).scalar_one()
        agreement = Agreement(number=f"T{uuid.uuid4().hex[:12]}", student_id=student, employer_id=employer,
                              status="signing", terms={})
        db.session.add(agreement)
        db.session.flush()
        relative = f"agreements/{agreement.id}/v2-signed_student-{sha[:16]}.pdf"
        path = pdf.documents_dir() / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf_bytes)
        db.session.add(AgreementDocument(agreement_id=agreement.id, version=2, kind="signed_student",
                                         path=relative, sha256=sha, size=len(pdf_bytes)))
        db.session.commit()
        agreement_id = agreement.id
        db.session.remove()
    return agreement_id


def _job(web, job_id: int) -> DeviceJob:
    from app.platform.extensions import db

    with web.app.app_context():
        found = db.session.get(DeviceJob, job_id)
        db.session.expunge(found)
        db.session.remove()
    return found


def _last_job(web, user: str) -> DeviceJob:
    job_id = web.scalar(select(func.max(DeviceJob.id)).join(User, User.id == DeviceJob.user_id)
                        .where(User.username == user))
    return _job(web, job_id)


def _post_event(client, event: DeviceEvent, secret: str, timestamp: int | None = None):
    body = json.dumps(event.to_json()).encode()
    return client.post(EVENTS_URL, data=body, content_type="application/json",
                       headers={webhook.SIGNATURE_HEADER: webhook.sign(body, secret, timestamp)})


def _relay_until(web, webhook_collector, printer, job_id: int, status: str, secret: str) -> DeviceJob:
    """Post the robot's events, as the simulator sent them, to the platform's webhook route until the job
    has `status`."""
    client, posted = web.client(None), set()
    deadline = time.monotonic() + 30
    while True:
        for event in webhook_collector.of(printer):
            if event.event_id not in posted:
                posted.add(event.event_id)
                assert _post_event(client, event, secret).status_code == 200
        job = _job(web, job_id)
        if job.status == status:
            return job
        assert time.monotonic() < deadline, f"job {job_id} stays {job.status}, never {status}"
        time.sleep(0.05)


def _print(web, user: str, resource_id: int, agreement_id: int, copies: int = 1):
    return web.client(user).post("/bookings/print", data={
        "resource": resource_id, "document": f"agreement:{agreement_id}", "copies": copies})


def _live_events(web, channel: str) -> list[dict]:
    from app.platform import live
    from app.platform.queue import redis_connection

    with web.app.app_context():
        entries = redis_connection().xrange(live.stream_key(channel))
    return [json.loads(fields[b"e"]) for _id, fields in entries]


def test_a_student_prints_their_agreement_and_sees_the_status_come_back(web, robot, webhook, secret, student):
    agreement_id = _signed_agreement(web, student, pages=3)
    page = web.client(student).get("/bookings/print").get_data(as_text=True)
    assert f"agreement:{agreement_id}" in page and 'data-live-events="device_job"' in page
    assert _print(web, student, robot.resource_id, agreement_id, copies=2).status_code == 303
    job = _last_job(web, student)
    assert job.device_job_id and job.status in ("queued", "printing", "done")  # sent through the worker's entry
    done = _relay_until(web, webhook, robot.printer, job.id, "done", secret)
    assert done.pages == 3 and done.printed == 6
    (sim_job,) = robot.jobs()
    assert sim_job["status"] == "done" and sim_job["copies"] == 2 and sim_job["job_id"] == job.device_job_id
    statuses = [e["data"]["status"] for e in _live_events(web, f"user:{job.user_id}")
                if e["type"] == "device_job" and e["data"]["job"] == job.id]
    assert statuses[0] == "sending" and statuses[-1] == "done" and "printing" in statuses
    shown = web.client(student).get("/bookings/print").get_data(as_text=True)
    assert f'data-job="{job.id}" data-status="done"' in shown


def test_out_of_paper_waits_and_prints_on_once_paper_is_loaded(web, robot, webhook, secret, student):
    robot.simulator.adjust(robot.printer, paper=0)
    agreement_id = _signed_agreement(web, student)
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    job = _last_job(web, student)
    _relay_until(web, webhook, robot.printer, job.id, "out_of_paper", secret)
    assert "out_of_paper" in web.client(student).get("/bookings/print").get_data(as_text=True)
    assert 'id="robots-without-paper"' in web.client(ROLE_USERS["staff"]).get("/bookings/desk").get_data(as_text=True)
    robot.simulator.adjust(robot.printer, paper=50)
    assert _relay_until(web, webhook, robot.printer, job.id, "done", secret).printed == 2


def test_a_paper_jam_ends_the_job_in_error(web, robot, webhook, secret, student):
    robot.simulator.adjust(robot.printer, jam_next=True)
    agreement_id = _signed_agreement(web, student)
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    job = _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "error", secret)
    assert job.error == "paper jam"


def test_lost_answers_and_duplicate_delivery_print_once(web, robot, webhook, secret, student):
    agreement_id = _signed_agreement(web, student)
    robot.simulator.fault(robot.printer, "timeout", count=1, delay_s=1.5)  # prints, the answer is lost once
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "done", secret)
    robot.simulator.fault(robot.printer, "duplicate")  # each request and each event arrives twice
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    second = _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "done", secret)
    robot.simulator.heal(robot.printer)
    assert len(robot.jobs()) == 2 and second.printed == 2


def test_an_unreachable_robot_fails_and_sending_again_prints_once(web, robot, webhook, secret, app, student, other):
    saved = {k: app.config[k] for k in ("DEVICE_MAX_ATTEMPTS", "DEVICE_ATTEMPT_TIMEOUT_S", "DEVICE_CALL_TIMEOUT_S")}
    app.config.update(DEVICE_MAX_ATTEMPTS=2, DEVICE_ATTEMPT_TIMEOUT_S=0.5, DEVICE_CALL_TIMEOUT_S=1.5)
    try:
        agreement_id = _signed_agreement(web, student)
        robot.simulator.fault(robot.printer, "drop")  # until healed
        assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
        job = _last_job(web, student)
        assert job.status == "failed" and job.error and robot.jobs() == []
        assert "failed" in web.client(student).get("/bookings/print").get_data(as_text=True)
        assert web.client(other).post(f"/bookings/device-jobs/{job.id}/again").status_code == 303  # not theirs
        assert _job(web, job.id).status == "failed"
        # the desk lists it for staff, who send it again once the robot is back
        staff = web.client("staff1")
        desk = staff.get("/bookings/desk").get_data(as_text=True)
        assert 'id="failed-device-jobs"' in desk and f"/bookings/device-jobs/{job.id}/again" in desk
        robot.simulator.heal(robot.printer)
        again = staff.post(f"/bookings/device-jobs/{job.id}/again", data={"back": "desk"})
        assert again.status_code == 303 and again.headers["Location"].endswith("/bookings/desk#failed-device-jobs")
        _relay_until(web, webhook, robot.printer, job.id, "done", secret)
        assert f"/bookings/device-jobs/{job.id}/again" not in staff.get("/bookings/desk").get_data(as_text=True)
        assert len(robot.jobs()) == 1
    finally:
        app.config.update(saved)


def test_a_student_cannot_print_another_students_agreement(web, robot, student, other):
    theirs, mine = _signed_agreement(web, other), _signed_agreement(web, student)
    assert f"agreement:{theirs}" not in web.client(student).get("/bookings/print").get_data(as_text=True)
    before = web.scalar(select(func.count()).select_from(DeviceJob))
    refused = _print(web, student, robot.resource_id, theirs)
    assert refused.status_code == 422 and 'id="err-document"' in refused.get_data(as_text=True)
    for data in ({"resource": robot.resource_id, "document": f"agreement:{mine}", "copies": "0"},
                 {"resource": robot.resource_id, "document": f"agreement:{mine}", "copies": "²"},
                 {"resource": "999999999", "document": f"agreement:{mine}", "copies": "1"},
                 {"resource": robot.resource_id, "document": "agreement:99999999999", "copies": "1"},
                 {"resource": robot.resource_id, "document": "recommendation:1", "copies": "1"}):
        assert web.client(student).post("/bookings/print", data=data).status_code == 422
    assert 'id="no-documents"' in web.client("hr_huachen").get("/bookings/print").get_data(as_text=True)
    assert web.scalar(select(func.count()).select_from(DeviceJob)) == before


def _event(device_id: str, seq: int, data: dict, type_: str = "print_job", kind: str = "printer") -> DeviceEvent:
    return DeviceEvent.from_json({"event_id": uuid.uuid4().hex, "device_id": device_id, "kind": kind,
                                  "type": type_, "seq": seq, "at": "2026-11-30T08:00:00+00:00", "data": data})


def test_the_webhook_refuses_bad_signatures_stale_and_bad_events_and_takes_a_replay_once(web, robot, secret,
                                                                                          student):
    client = web.client(None)
    agreement_id = _signed_agreement(web, student)
    robot.simulator.adjust(robot.printer, paper=0)
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    job = _last_job(web, student)
    event = _event(robot.printer.id, 10**12, {"job_id": job.device_job_id, "status": "printing", "pages": 2,
                                               "copies": 1, "printed": 1})
    body = json.dumps(event.to_json()).encode()
    headers = {webhook.SIGNATURE_HEADER: webhook.sign(body, "not the secret")}
    assert client.post(EVENTS_URL, data=body, headers=headers, content_type="application/json").status_code == 400
    assert client.post(EVENTS_URL, data=body, content_type="application/json").status_code == 400  # unsigned
    assert _post_event(client, event, secret, timestamp=int(time.time()) - 3600).status_code == 400  # stale
    for junk in (b"not json", b"[1, 2]", json.dumps({"device_id": robot.printer.id, "type": "print_job"}).encode()):
        signed = {webhook.SIGNATURE_HEADER: webhook.sign(junk, secret)}
        assert client.post(EVENTS_URL, data=junk, headers=signed, content_type="application/json").status_code == 400
    for data in ({"job_id": job.device_job_id, "status": "no such status"}, {"status": "done", "pages": 1}):
        assert _post_event(client, _event(robot.printer.id, 10**12, data), secret).status_code == 400
    assert _job(web, job.id).status != "printing"
    first = _post_event(client, event, secret)
    assert first.status_code == 200 and first.json["result"] == "applied" and _job(web, job.id).status == "printing"
    assert _post_event(client, event, secret).json["result"] == "duplicate"  # the same event again
    older = _event(robot.printer.id, 10**12 - 1, {"job_id": job.device_job_id, "status": "queued", "pages": 2})
    assert _post_event(client, older, secret).json["result"] == "stale" and _job(web, job.id).status == "printing"


def test_a_device_secret_of_its_own(web, robot, secret, app):
    app.config["DEVICE_WEBHOOK_SECRETS"] = {robot.printer.id: "the printer's own"}
    event = _event(robot.printer.id, 1, {"job_id": "job-unknown", "status": "queued", "pages": 1})
    assert _post_event(web.client(None), event, secret).status_code == 400
    assert _post_event(web.client(None), event, "the printer's own").json["result"] == "kept"


@pytest.fixture
def screen(web, simulator, secret):
    device = simulator.add("screen")
    return device, _resource(web, domain.BIG_SCREEN, device)


def test_staff_put_an_announcement_a_page_and_a_board_on_a_screen(web, simulator, screen, webhook, secret, student):
    device, resource_id = screen
    staff = web.client(ROLE_USERS["staff"])
    url = f"/bookings/resources/{resource_id}/screen"
    assert "data-live-region" in staff.get(url).get_data(as_text=True)
    assert staff.post(url, data={"what": "text", "title": "通知", "text": "下午宣讲会改在 3 楼"}).status_code == 303
    assert simulator.inspect(device)["state"]["text"] == "下午宣讲会改在 3 楼"
    assert "下午宣讲会改在 3 楼" in staff.get(url).get_data(as_text=True)
    assert staff.post(url, data={"what": "url", "url": "http://127.0.0.1:5000/bigscreen/"}).status_code == 303
    assert simulator.inspect(device)["state"] == {**simulator.inspect(device)["state"], "showing": "url",
                                                  "url": "http://127.0.0.1:5000/bigscreen/"}
    with web.app.app_context():
        from app.bookings.device_jobs import boards

        choices = boards()
    if choices:
        assert staff.post(url, data={"what": "board", "board": choices[0][0]}).status_code == 303
        assert "/board" in simulator.inspect(device)["state"]["url"]
    before = web.scalar(select(func.count()).select_from(DeviceJob))
    for bad in ({"what": "board", "board": "999999-1"}, {"what": "url", "url": "javascript:alert(1)"},
                {"what": "text", "text": ""}, {"what": "nothing"}):
        assert staff.post(url, data=bad).status_code == 422
    assert web.scalar(select(func.count()).select_from(DeviceJob)) == before
    # what the screen reports comes back through the webhook onto the resource page
    client = web.client(None)
    for event in webhook.of(device):
        assert _post_event(client, event, secret).status_code == 200
    state = web.query(select(DeviceState.state).where(DeviceState.device_id == device.id))[0][0]
    assert state["showing"] == simulator.inspect(device)["state"]["showing"]
    calendar = staff.get(f"/bookings/resources/{resource_id}").get_data(as_text=True)  # the resource's page
    assert 'id="screen-now"' in calendar and f'data-showing="{state["showing"]}"' in calendar
    student = web.client(student)
    assert student.get(url).status_code in (403, 404)
    assert student.post(url, data={"what": "text", "text": "x"}).status_code in (403, 404)
    assert staff.get(f"/bookings/resources/{robot_free_id(web)}/screen").status_code == 404


def robot_free_id(web) -> int:
    """A resource that is no screen."""
    return web.scalar(select(Resource.id).where(Resource.kind == domain.INTERVIEW_ROOM).limit(1))


def test_booking_changes_reach_the_calendar_and_the_bookers_channel(web):
    demo_student = ROLE_USERS["student"]
    from datetime import date, datetime, time as dtime, timedelta

    room = web.scalar(select(Resource.id).where(Resource.code == "ROOM-B"))
    student = web.client(demo_student)
    page = student.get(f"/bookings/resources/{room}").get_data(as_text=True)
    assert f"resource:{room}" in page and 'data-live-events="slots screen"' in page
    day = date.today() + timedelta(days=3)
    while day.weekday() == 6:
        day += timedelta(days=1)
    start = datetime.combine(day, dtime(19), domain.LOCAL_TZ).isoformat()
    made = student.post(f"/bookings/resources/{room}/book", data={"start": start, "slots": "1", "purpose": "模拟面试"})
    assert made.status_code == 303
    booking_id = int(made.headers["Location"].rsplit("/", 1)[-1])
    assert student.post(f"/bookings/{booking_id}/cancel", data={"reason": "改期"}).status_code == 303
    slots = [e["data"]["status"] for e in _live_events(web, f"resource:{room}")
             if e["type"] == "slots" and e["data"]["booking"] == booking_id]
    user_id = web.scalar(select(User.id).where(User.username == demo_student))
    mine = [e["data"]["status"] for e in _live_events(web, f"user:{user_id}")
            if e["type"] == "booking" and e["data"]["booking"] == booking_id]
    assert slots == mine == ["confirmed", "cancelled"]


def test_a_real_worker_sends_the_print_job(web, robot, webhook, secret, student):
    """The web request only queues the job; a worker process of its own (app/worker.py) sends it."""
    from tests.procs import jobs_for_a_worker

    agreement_id = _signed_agreement(web, student)
    overrides = {k: web.app.config[k] for k in ("DEVICE_GATEWAY_URL", "DEVICE_GATEWAY_TOKEN")}
    with jobs_for_a_worker(web.app, overrides, timeout=120):
        assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
        job = _last_job(web, student)
        assert job.status == "sending" and robot.jobs() == []  # nothing sent in the request
    assert _job(web, job.id).device_job_id is not None
    _relay_until(web, webhook, robot.printer, job.id, "done", secret)
    assert len(robot.jobs()) == 1


def test_over_mqtt_the_status_comes_back_through_the_listener(web, robot, student):
    """The gateway over MQTT: the print goes out on the broker, the robot's events come back on its topic to
    the booking area's listener (app/bookings/device_listener.py), not through the webhook."""
    from app.bookings.device_listener import listener

    sim = robot.simulator
    saved = {k: web.app.config.get(k) for k in ("DEVICE_GATEWAY_URL", "DEVICE_MQTT_PREFIX")}
    web.app.config.update(DEVICE_GATEWAY_URL=sim.mqtt_url, DEVICE_MQTT_PREFIX=sim.prefix)
    running = listener(web.app, client_id=None)
    try:
        agreement_id = _signed_agreement(web, student)
        robot.simulator.adjust(robot.printer, paper=1)  # one sheet: the second page waits for paper
        assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
        job_id = _last_job(web, student).id
        _wait(lambda: _job(web, job_id).status == "out_of_paper", "out of paper over MQTT")
        robot.simulator.adjust(robot.printer, paper=10)
        _wait(lambda: _job(web, job_id).status == "done", "printed over MQTT")
    finally:
        running.stop()
        web.app.config.update(saved)
    assert _job(web, job_id).printed == 2 and len(robot.jobs()) == 1


def _wait(predicate, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def _recommended_student(web) -> tuple[str, int]:
    """A student of their own whose recommendation request went through the real process to "issued"."""
    from datetime import date, datetime, timedelta, timezone

    from werkzeug.security import generate_password_hash

    from app.identity.demo import DEMO_PASSWORD
    from app.identity.models import Major, Student, UserRole
    from app.platform.extensions import db
    from app.processes.demo_work import demo_user_id
    from app.recommendations.demo import _start, _step

    number = f"2022{uuid.uuid4().int % 10**6:06d}"
    at = datetime.now(timezone.utc) - timedelta(hours=3)
    with web.app.app_context():
        user = User(username=number, display_name="推荐测试", password_hash=generate_password_hash(DEMO_PASSWORD),
                    roles=[UserRole(role="student")])
        db.session.add(user)
        db.session.flush()
        major = db.session.execute(select(Major).where(Major.code == "CS02")).scalar_one()
        student = Student(user_id=user.id, student_no=number, gender="女", id_number="110101200405056789",
                          college_id=major.college_id, major_id=major.id, degree="本科", graduation_year=2026,
                          expected_graduation=date(2026, 6, 30))
        db.session.add(student)
        db.session.commit()
        instance_id = _start(student, at)
        _step(instance_id, "fill_application", {
            "phone": "13900000000", "email": "s@example.edu.cn", "target_industry": "it", "target_city": "上海",
            "self_assessment": "在校期间成绩优良，担任学生干部，参加过两次专业实习。"}, user.id, at + timedelta(hours=1))
        _step(instance_id, "counselor_review", {"counselor_decision": "approve", "counselor_comment": "同意推荐。"},
              demo_user_id("counselor_cs"), at + timedelta(hours=2), claim=True)
        _step(instance_id, "office_review", {"office_decision": "approve", "office_comment": "同意推荐。"},
              demo_user_id("staff1"), at + timedelta(hours=2, minutes=30), claim=True)
        db.session.remove()
    return number, instance_id


def test_a_recommendation_form_is_printed_by_its_student_only(web, robot, webhook, secret, other):
    student, instance_id = _recommended_student(web)
    ref = f"recommendation:{instance_id}"
    assert ref in web.client(student).get("/bookings/print").get_data(as_text=True)
    assert ref not in web.client(other).get("/bookings/print").get_data(as_text=True)
    _signed_agreement(web, other)
    refused = web.client(other).post("/bookings/print", data={"resource": robot.resource_id, "document": ref,
                                                               "copies": "1"})
    assert refused.status_code == 422
    assert web.client(student).post("/bookings/print", data={"resource": robot.resource_id, "document": ref,
                                                              "copies": "1"}).status_code == 303
    job = _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "done", secret)
    assert job.source == {"kind": "recommendation", "id": instance_id} and job.pages >= 1
    assert len(robot.jobs()) == 1
