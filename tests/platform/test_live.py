"""Live events: publish after commit, the SSE endpoint (replay on reconnect, reset, token rules), the hub's
recovery when its Redis connection drops, and the gevent stream server in a process of its own."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from werkzeug.serving import make_server

from app.platform import live
from tests.sse import SSE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stream_app(redis_url, tmp_path_factory):
    """The stream server's app (no database) on the test Redis, with a namespace of its own."""
    from app.platform.live_server import create_stream_app
    from tests.procs import build_config

    config = build_config("sqlite://", redis_url, f"live-{uuid.uuid4().hex[:8]}",
                          str(tmp_path_factory.mktemp("live")), LIVE_STREAM_MAX_S=600)
    return create_stream_app(config)


@pytest.fixture(scope="module")
def server(stream_app):
    srv = make_server("127.0.0.1", 0, stream_app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


class Principal:
    def __init__(self, user_id: int):
        self.id = user_id


def url_for_channels(app, base: str, *channels: str, principal=None) -> str:
    with app.test_request_context():
        token = live.grant(principal, channels)
    return f"{base}/events?t={token}"


def publish(app, channel: str, event: str, data: dict) -> None:
    with app.app_context():
        live.publish(channel, event, data)  # outside a unit of work: at once


def test_an_event_reaches_a_subscriber_and_a_reconnect_replays_what_was_missed(stream_app, server):
    user = 10_000 + os.getpid() % 1000
    url = url_for_channels(stream_app, server, f"user:{user}", principal=Principal(user))
    stream = SSE(url)
    assert stream.status == 200
    assert stream.until("ready")[-1]["data"]["channels"] == [f"user:{user}"]
    publish(stream_app, f"user:{user}", "notification", {"unread": 1, "title": "新的签约邀请"})
    event = stream.next()
    assert (event["type"], event["channel"], event["data"]) == (
        "notification", f"user:{user}", {"unread": 1, "title": "新的签约邀请"})
    stream.close()

    for n in (2, 3):  # published while nobody listens
        publish(stream_app, f"user:{user}", "notification", {"unread": n})
    again = SSE(url, last_event_id=event["id"])
    replayed = again.until("ready")
    assert [e["data"]["unread"] for e in replayed if e["type"] == "notification"] == [2, 3]
    assert not any(e["type"] == "reset" for e in replayed)
    publish(stream_app, f"user:{user}", "notification", {"unread": 4})
    assert again.next()["data"] == {"unread": 4}
    again.close()


def test_one_stream_carries_several_channels_and_resumes_each(stream_app, server):
    a, b = f"testboard:{uuid.uuid4().hex[:6]}", f"testboard:{uuid.uuid4().hex[:6]}"
    live.register_channel("testboard", lambda principal, key: True)  # public, like a hall's big screen
    url = url_for_channels(stream_app, server, a, b)
    stream = SSE(url)
    stream.until("ready")
    publish(stream_app, a, "called", {"n": 1})
    publish(stream_app, b, "called", {"n": 2})
    got = [stream.next(), stream.next()]
    assert [(e["channel"], e["data"]["n"]) for e in got] == [(a, 1), (b, 2)]
    first_id = got[0]["id"]
    stream.close()
    # resuming from the first event: only b's event comes back (a's position is already past its event)
    resumed = SSE(url, last_event_id=first_id).until("ready")
    assert [(e["channel"], e["data"]["n"]) for e in resumed if e["type"] == "called"] == [(b, 2)]


def test_a_gap_longer_than_the_replay_buffer_says_reset(stream_app, server):
    user = 20_000 + os.getpid() % 1000
    channel = f"user:{user}"
    url = url_for_channels(stream_app, server, channel, principal=Principal(user))
    stream = SSE(url)
    stream.until("ready")
    publish(stream_app, channel, "notification", {"unread": 0})
    seen = stream.next()["id"]
    stream.close()
    with stream_app.app_context():
        for n in range(live.STREAM_MAXLEN + 5):
            live.publish(channel, "notification", {"unread": n})
    events = SSE(url, last_event_id=seen).until("ready", limit=live.STREAM_MAXLEN + 10)
    assert any(e["type"] == "reset" for e in events)


def test_tokens_decide_who_hears_what(stream_app, server, monkeypatch):
    with stream_app.test_request_context():
        with pytest.raises(live.ChannelRefused):
            live.grant(Principal(7), ["user:8"])  # somebody else's channel
        with pytest.raises(live.ChannelRefused):
            live.grant(None, ["user:7"])  # anonymous
        with pytest.raises(live.ChannelRefused):
            live.grant(Principal(7), ["nosuchprefix:1"])
        with pytest.raises(live.ChannelRefused):
            live.grant(Principal(7), ["user:7\nX"])
        good = live.grant(Principal(7), ["user:7"])
    assert SSE(f"{server}/events?t={good[:-2]}xx").status == 401  # tampered
    assert SSE(f"{server}/events").status == 401
    import itsdangerous.timed

    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(real(self)) - 7200)
    with stream_app.test_request_context():
        stale = live.grant(Principal(7), ["user:7"])
    monkeypatch.undo()
    assert SSE(f"{server}/events?t={stale}").status == 401  # older than LIVE_TOKEN_MAX_AGE_S


def test_publish_waits_for_the_commit_and_a_rollback_publishes_nothing(app, ctx):
    from app.platform.uow import unit_of_work

    channel = f"user:{uuid.uuid4().int % 10**6}"
    key = live.stream_key(channel)
    redis = Redis.from_url(app.config["REDIS_URL"])
    with unit_of_work() as uow:
        live.publish(channel, "notification", {"n": 1})
        assert redis.xlen(key) == 0  # not before the commit
        uow.commit()
    assert redis.xlen(key) == 1
    with pytest.raises(RuntimeError):
        with unit_of_work():
            live.publish(channel, "notification", {"n": 2})
            raise RuntimeError("rolled back")
    assert redis.xlen(key) == 1


def test_the_hub_recovers_when_its_redis_connection_is_killed(stream_app, server):
    user = 30_000 + os.getpid() % 1000
    channel = f"user:{user}"
    stream = SSE(url_for_channels(stream_app, server, channel, principal=Principal(user)))
    stream.until("ready")
    with stream_app.app_context():
        from app.platform.live_stream import hub

        name = hub().client_name
        redis = Redis.from_url(stream_app.config["REDIS_URL"])
        killed = [c["id"] for c in redis.client_list() if c.get("name") == name]
        assert killed
        for client_id in killed:
            redis.client_kill_filter(_id=client_id)
        live.publish(channel, "notification", {"during": "the outage"})  # may fall into the gap
    got = stream.next()
    assert got["data"] == {"during": "the outage"}  # replayed from the channel's stream after reconnecting
    stream.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_gevent_stream_server_serves_many_streams_fed_from_another_process(stream_app, redis_url, tmp_path):
    port = _free_port()
    queue_name = stream_app.config["RQ_QUEUE"]
    env = dict(os.environ, REDIS_URL=redis_url, RQ_QUEUE=queue_name, VAR_DIR=str(tmp_path),
               SECRET_KEY=stream_app.config["SECRET_KEY"], DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite'}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "2000",
         "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "app.platform.live_server:create_stream_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        users = [40_000 + i for i in range(200)]
        streams = [SSE(url_for_channels(stream_app, base, f"user:{u}", principal=Principal(u))) for u in users]
        for s in streams:
            s.until("ready")
        for u in users:
            publish(stream_app, f"user:{u}", "notification", {"for": u})
        assert [s.next()["data"]["for"] for s in streams] == users
        for s in streams:
            s.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_page_hears_what_happened_between_its_render_and_its_stream(web):
    """The page's stream URL carries the positions of its render time: an event published before the
    browser connects is replayed, not lost. The token is for the signed-in user's own channel only."""
    import html
    import re

    from app.identity.models import User
    from sqlalchemy import select

    client = web.client("counselor_em")
    page = client.get("/").get_data(as_text=True)
    meta = re.search(r'<meta name="bpm-live" content="([^"]+)" data-refresh="([^"]+)" data-channels="([^"]+)"', page)
    stream_path, refresh, channels = (html.unescape(g) for g in meta.groups())
    me = web.scalar(select(User.id).where(User.username == "counselor_em"))
    assert channels == f"user:{me}" and "&last=" in stream_path
    publish(web.app, f"user:{me}", "notification", {"unread": 42})  # after the render, before the stream

    srv = make_server("127.0.0.1", 0, web.app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        events = SSE(f"http://127.0.0.1:{srv.server_port}{stream_path}").until("ready")
        assert [e["data"] for e in events if e["type"] == "notification"] == [{"unread": 42}]
    finally:
        srv.shutdown()
    # a fresh URL for the same channels, for the same user only
    assert client.get(f"{refresh}?c=user:{me}").get_json()["url"].startswith("/events?t=")
    assert web.client("counselor_cs").get(f"{refresh}?c=user:{me}").status_code == 403


def test_an_areas_live_channels_are_registered_with_the_app():
    from flask import Flask

    from app.platform.areas import Area, Registry
    from app.platform.live import LiveChannel

    area = Area(name="hall_boards", label="Boards", package="tests.platform",
                live_channels=(LiveChannel("hallboard", lambda principal, key: key.startswith("hall-")),))
    Registry([area]).register(Flask(__name__))
    assert live.may_subscribe(None, "hallboard:hall-3")
    assert not live.may_subscribe(None, "hallboard:office")
