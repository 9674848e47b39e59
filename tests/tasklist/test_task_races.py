"""Two people acting on the same task at the same moment, through a real threaded HTTP server (issue 8
point 9): exactly one wins; every other gets one clear answer (someone else completed / claimed it), never
an error page; the task is completed or claimed once."""
from __future__ import annotations

import re
import threading
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import engine
from app.engine.models import HistoryEvent, OpenTask
from app.identity.demo import DEMO_PASSWORD
from app.identity.models import User
from tests import bpmn_builder as b

SESSIONS = 8
WON_COMPLETE = "Submitted."
LOST_COMPLETE = "Someone else completed this task first, or it was withdrawn meanwhile."
WON_CLAIM = "The task is yours now."
LOST_CLAIM = "Someone else claimed this task first."


@pytest.fixture
def server(web):
    srv = make_server("127.0.0.1", 0, web.app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()


def _sessions(base: str) -> list[httpx.Client]:
    """Eight browser sessions: two staff members, four sessions each."""
    clients = []
    for i in range(SESSIONS):
        client = httpx.Client(base_url=base, follow_redirects=True, timeout=60)
        resp = client.post("/login", data={"username": ("staff1", "staff2")[i % 2], "password": DEMO_PASSWORD})
        assert resp.status_code == 200 and "/login" not in str(resp.url), resp.text[:300]
        clients.append(client)
    return clients


def _all_at_once(clients: list[httpx.Client], path: str) -> list[httpx.Response]:
    barrier = threading.Barrier(len(clients))
    responses: list[httpx.Response | None] = [None] * len(clients)

    def post(i: int) -> None:
        barrier.wait()
        responses[i] = clients[i].post(path, params={"lang": "en"})  # messages in English

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


def _flash(resp: httpx.Response) -> str:
    """The one message the user is shown (the flash on the page the POST led to)."""
    messages = re.findall(r'<p class="flash [^"]*">(.*?)</p>', resp.text, re.S)
    return " | ".join(m.strip() for m in messages) or f"(no message; HTTP {resp.status_code})"


def _start(web, unique: str, owners: list[int] | None) -> str:
    xml = b.process(f"race_{unique}", b.lanes({"staff": ["review"]}), b.start(), b.user("review"), b.end(),
                    b.chain("start", "review", "end"))
    with web.app.app_context():
        (definition,) = engine.deploy([engine.Source("race.bpmn", xml.encode())])
        data = {"lane_owners": {"staff": owners}} if owners else {}
        instance_id = engine.start_instance(definition, data)
    return web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id))


def _staff_ids(web) -> list[int]:
    return [web.scalar(select(User.id).where(User.username == name)) for name in ("staff1", "staff2")]


def test_racing_submissions_one_completes_the_others_are_told(web, server, unique):
    guid = _start(web, unique, owners=_staff_ids(web))  # addressed to both: no claim needed
    responses = _all_at_once(_sessions(server), f"/tasks/{guid}")
    assert [r.status_code for r in responses] == [200] * SESSIONS  # each followed its redirect to the inbox
    assert all(r.history and r.history[0].status_code in (302, 303) for r in responses)
    told = Counter(_flash(r) for r in responses)
    assert told == {WON_COMPLETE: 1, LOST_COMPLETE: SESSIONS - 1}
    assert web.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.task_guid == guid, HistoryEvent.event_type == "task_completed")) == 1


def test_racing_claims_one_claims_the_others_are_told(web, server, unique):
    guid = _start(web, unique, owners=None)  # a group task of the staff lane
    clients = _sessions(server)
    responses = _all_at_once(clients, f"/tasks/{guid}/claim")
    assert [r.status_code for r in responses] == [200] * SESSIONS
    told = Counter(_flash(r) for r in responses)
    # the winner's other sessions (same user) land on the task page without a second claim
    winner = web.scalar(select(OpenTask.assignee_id).where(OpenTask.task_guid == guid))
    assert winner in _staff_ids(web)
    assert told[WON_CLAIM] >= 1 and told[LOST_CLAIM] >= 1
    assert set(told) <= {WON_CLAIM, LOST_CLAIM, "(no message; HTTP 200)"}
    assert told[LOST_CLAIM] == SESSIONS // 2  # every session of the other user
    assert web.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.task_guid == guid, HistoryEvent.event_type == "task_claimed")) == 1
    # the loser who then tries to submit is told the same, not shown a 403 page
    loser = next(c for c, r in zip(clients, responses) if _flash(r) == LOST_CLAIM)
    resp = loser.post(f"/tasks/{guid}", params={"lang": "en"}, data={})
    assert resp.status_code == 200 and _flash(resp) == LOST_CLAIM
