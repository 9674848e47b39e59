"""A print robot that runs out of paper or jams is told to the booking desk's staff: once per episode (not per
waiting job, not again for a duplicate or replayed event), again after it printed and stopped anew; not to the
student who printed nor to staff who do not run the desk; the notice opens the desk, which lists the robot.
Through the device simulator (a real subprocess), the signed webhook route and the worker's entry point."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.bookings.models import DeviceJob, Resource
from app.identity.demo import DEMO_PASSWORD
from app.identity.models import User, UserRole
from app.notifications.models import Notification
from tests.bookings.test_booking_print import (  # noqa: F401 - robot, secret, student: fixtures
    _event, _last_job, _post_event, _print, _relay_until, _signed_agreement, robot, secret, student,
)
from tests.web import ROLE_USERS

PAPER, JAM = "booking.robot_out_of_paper", "booking.robot_jammed"


def _person(web, role: str) -> str:
    username = f"a{uuid.uuid4().hex[:10]}"
    web.add(User(username=username, display_name=f"告警{role}", password_hash=generate_password_hash(DEMO_PASSWORD),
                 roles=[UserRole(role=role)]))
    return username


@pytest.fixture
def people(web) -> dict[str, str]:
    """A desk clerk of the test's own beside the demo staff and administrator, and people who run no desk."""
    return {"desk": _person(web, "staff"), "owner": _person(web, "process_owner"),
            "counselor": _person(web, "counselor")}


def _notices(web, username: str, device_id: str) -> list[Notification]:
    rows = web.query(select(Notification).join(User, User.id == Notification.user_id)
                     .where(User.username == username, Notification.dedup_key.like(f"print-robot:{device_id}:%"))
                     .order_by(Notification.id))
    return [row[0] for row in rows]


def _out_of_paper(web, robot, webhook, secret, student) -> DeviceJob:  # noqa: F811
    agreement_id = _signed_agreement(web, student)
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    return _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "out_of_paper", secret)


def test_out_of_paper_tells_the_desk_once_per_episode(web, robot, webhook, secret, student, people):  # noqa: F811
    robot.simulator.adjust(robot.printer, paper=0)
    agreement_id = _signed_agreement(web, student)
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    stuck = _last_job(web, student)
    assert _print(web, student, robot.resource_id, _signed_agreement(web, student)).status_code == 303  # waits too
    stuck = _relay_until(web, webhook, robot.printer, stuck.id, "out_of_paper", secret)
    # the same event comes again, and a replay under a new id: still one notice
    client = web.client(None)
    (sent,) = [e for e in webhook.of(robot.printer)
               if e.data.get("job_id") == stuck.device_job_id and e.data["status"] == "out_of_paper"]
    assert _post_event(client, sent, secret).json["result"] == "duplicate"
    replay = _event(robot.printer.id, stuck.last_seq + 1, {**sent.data})
    assert _post_event(client, replay, secret).json["result"] == "applied"
    resource = web.query(select(Resource).where(Resource.id == robot.resource_id))[0][0]
    for clerk in ("desk", "staff", "admin"):
        username = people.get(clerk) or ROLE_USERS[clerk]
        (notice,) = _notices(web, username, robot.printer.id)
        assert notice.kind == PAPER and notice.link == "/bookings/desk#robots-without-paper"
        assert notice.params == {"robot": resource.name, "location": "大厅", "waiting": 2, "error": "—"}
    for outsider in (student, people["owner"], people["counselor"], ROLE_USERS["student"]):
        assert _notices(web, outsider, robot.printer.id) == []

    # paper loaded: both jobs print; out of paper again later is a new episode, told again
    robot.simulator.adjust(robot.printer, paper=4)
    _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "done", secret)
    assert len(_notices(web, people["desk"], robot.printer.id)) == 1
    robot.simulator.adjust(robot.printer, paper=0)
    _out_of_paper(web, robot, webhook, secret, student)
    first, second = _notices(web, people["desk"], robot.printer.id)
    assert second.kind == PAPER and second.dedup_key != first.dedup_key and second.params["waiting"] == 1
    assert _notices(web, student, robot.printer.id) == []


def test_the_notice_opens_the_desk_in_the_readers_language(web, robot, webhook, secret, student,  # noqa: F811
                                                           people):
    robot.simulator.adjust(robot.printer, paper=0)
    _out_of_paper(web, robot, webhook, secret, student)
    resource_name = web.scalar(select(Resource.name).where(Resource.id == robot.resource_id))
    (notice,) = _notices(web, people["desk"], robot.printer.id)
    clerk = web.client(people["desk"])
    listed = clerk.get("/notifications").get_data(as_text=True)
    assert f"打印机器人缺纸：{resource_name}" in listed
    opened = clerk.post(f"/notifications/{notice.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/bookings/desk#robots-without-paper")
    desk = clerk.get("/bookings/desk").get_data(as_text=True)
    assert 'id="robots-without-paper"' in desk and resource_name in desk
    assert web.client(people["owner"]).post(f"/notifications/{notice.id}/open").status_code == 404  # not theirs
    robot.simulator.adjust(robot.printer, paper=10)


def test_a_jam_tells_the_desk_and_the_desk_lists_it_until_it_prints(web, robot, webhook, secret,  # noqa: F811
                                                                    student, people):  # noqa: F811
    robot.simulator.adjust(robot.printer, jam_next=True)
    agreement_id = _signed_agreement(web, student)
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "error", secret)
    (notice,) = _notices(web, people["desk"], robot.printer.id)
    assert notice.kind == JAM and notice.params["error"] == "paper jam" and notice.params["waiting"] == 0
    assert notice.link == "/bookings/desk#robots-stopped"
    resource_name = web.scalar(select(Resource.name).where(Resource.id == robot.resource_id))
    desk = web.client(people["desk"]).get("/bookings/desk").get_data(as_text=True)
    assert 'id="robots-stopped"' in desk and resource_name in desk and "paper jam" in desk
    # it prints again: off the desk; a jam after that is a new episode
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "done", secret)
    assert resource_name not in web.client(people["desk"]).get("/bookings/desk").get_data(as_text=True)
    robot.simulator.adjust(robot.printer, jam_next=True)
    assert _print(web, student, robot.resource_id, agreement_id).status_code == 303
    _relay_until(web, webhook, robot.printer, _last_job(web, student).id, "error", secret)
    assert [n.kind for n in _notices(web, people["desk"], robot.printer.id)] == [JAM, JAM]
    assert _notices(web, student, robot.printer.id) == []
