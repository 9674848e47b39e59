"""The big screen: its figures, who may open it and listen to it, and the `changed` event a step of a watched
process publishes on its channel."""
from __future__ import annotations

import pytest

from app import engine
from app.platform import live
from app.platform.queue import redis_connection
from app.reporting import bigscreen
from tests.reporting.helpers import review_process
from tests.web import ROLE_USERS


def test_a_step_of_a_watched_process_tells_the_screen(ctx, unique, monkeypatch):
    pid = f"watched_{unique}"
    definition = review_process(pid, f"lane_{unique}")
    key = live.stream_key(bigscreen.CHANNEL)

    def newest():  # the stream keeps the last 200 events: compare its newest id, not its length
        found = redis_connection().xrevrange(key, count=1)
        return found[0] if found else None

    before = newest()
    engine.start_instance(definition, {})
    assert newest() == before                                # not watched: nothing
    monkeypatch.setattr(bigscreen, "WATCHED", frozenset({pid}))
    engine.start_instance(definition, {})
    after = newest()
    assert after is not None and after != before and b'"changed"' in after[1][b"e"]


@pytest.mark.parametrize("role,status", [("staff", 200), ("admin", 200), ("counselor", 200), ("student", 403),
                                         ("employer", 403)])
def test_who_may_open_the_big_screen(web, role, status):
    client = web.client(ROLE_USERS[role])
    assert client.get("/bigscreen/").status_code == status
    resp = client.get("/bigscreen/figures.json")
    assert resp.status_code == status
    if status == 200:
        f = resp.get_json()
        assert {"agreements_signed", "agreements_offered", "rate", "graduates", "fairs", "colleges"} <= set(f)
        page = client.get("/bigscreen/").get_data(as_text=True)
        assert 'name="bpm-live"' in page and "bigscreen:hall" in page
