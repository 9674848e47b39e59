"""Live events at fair scale: thousands of Server-Sent Event streams held by the gevent stream server.

Starts the stream server as in production (gunicorn, gevent worker) on loopback, opens STREAMS streams (each
listens to its own user channel and to one shared board channel, as a student's phone page would), then:
- per-user events: one to every stream, published open-loop at RATE/s from another process; delay from
  publish to arrival (p50/p95/max);
- broadcasts: BROADCASTS events on the shared board channel, each fanned out to every stream; delay until the
  last stream has it (p95/max);
- counts events lost or duplicated, and the stream server's memory (RSS of the gunicorn worker).

    .venv/bin/python bench/live.py [--streams 3000] [--rate 200] [--broadcasts 20] [--workers N]

Needs Redis (REDIS_URL, default the test Redis redis://127.0.0.1:6379/15; the embedded one otherwise). Last
line: one JSON object. RSS is summed over the gunicorn master and its workers.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import free_port, percentile, rss_mb  # noqa: E402 - after the path is set


class Stream:
    def __init__(self, index: int, path: str):
        self.index = index
        self.path = path
        self.ready = asyncio.Event()
        self.seen: dict[str, float] = {}  # event key -> arrival time
        self.duplicates = 0

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        # HTTP/1.0: the server streams until it closes, no chunked framing to parse
        writer.write(f"GET {self.path} HTTP/1.0\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"stream {self.index}: {status!r}")
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # headers
        while True:
            line = await reader.readline()
            if not line:
                return
            if not line.startswith(b"data: "):
                continue
            event = json.loads(line[6:])
            if event["type"] == "ready":
                self.ready.set()
            elif event["type"] in ("user", "board"):
                key = event["data"]["key"]
                if key in self.seen:
                    self.duplicates += 1
                else:
                    self.seen[key] = time.time()


def publisher(redis_url: str, namespace: str, plan: list[tuple[float, str, str, str]], out: str) -> None:
    """A separate process: publish each (at, channel, event, key) at its time; record when it went out."""
    from redis import Redis

    from app.platform.live import publish_script

    redis = Redis.from_url(redis_url)
    script = redis.register_script(publish_script())
    sent = {}
    start = time.time()
    for at, channel, event, key in plan:
        delay = start + at - time.time()
        if delay > 0:
            time.sleep(delay)
        payload = json.dumps({"type": event, "data": {"key": key}}, separators=(",", ":"))
        sent[key] = time.time()
        script(keys=[f"{namespace}:live:{channel}"], args=[200, payload, 3600])
    Path(out).write_text(json.dumps(sent))


async def main_async(args) -> dict:
    from redis import Redis

    from app.platform import live
    from app.platform.live_server import create_stream_app
    from config.settings import Config

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except Exception:  # noqa: BLE001
        from app.platform.queue import embedded_redis_url

        redis_url = embedded_redis_url(ROOT / "var")
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    secret = uuid.uuid4().hex
    config = type("BenchConfig", (Config,), {"REDIS_URL": redis_url, "RQ_QUEUE": namespace, "SECRET_KEY": secret,
                                              "LIVE_STREAM_MAX_S": 3600})
    app = create_stream_app(config)
    live.register_channel("bench", lambda principal, key: True)
    port = free_port()
    env = dict(os.environ, REDIS_URL=redis_url, RQ_QUEUE=namespace, SECRET_KEY=secret)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", str(args.workers),
         "--worker-connections", str(args.streams + 500),
         "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "--log-level", "warning",
         "app.platform.live_server:create_stream_app()"], cwd=ROOT, env=env)
    try:
        for _ in range(150):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        idle_rss = rss_mb(server.pid)

        class Who:
            def __init__(self, i):
                self.id = i

        streams = []
        with app.test_request_context():
            for i in range(args.streams):
                token = live.grant(Who(900_000 + i), [f"user:{900_000 + i}", "bench:board"])
                streams.append(Stream(i, f"/events?t={token}"))
        t0 = time.time()
        tasks = []
        for index, stream in enumerate(streams):  # connect at ~1,000/s, like phones arriving
            tasks.append(asyncio.create_task(stream.run(port)))
            if index % 100 == 99:
                await asyncio.sleep(0.1)
        try:
            await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), timeout=180)
        except asyncio.TimeoutError:
            failed = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()]
            raise SystemExit(f"only {sum(s.ready.is_set() for s in streams)} of {len(streams)} streams opened; "
                             f"{len(failed)} failed, e.g. {failed[:3]}") from None
        connect_s = time.time() - t0
        held_rss = rss_mb(server.pid)

        plan = [(i / args.rate, f"user:{900_000 + i}", "user", f"u{i}") for i in range(args.streams)]
        span = args.streams / args.rate
        plan += [(span * (b + 0.5) / args.broadcasts, "bench:board", "board", f"b{b}") for b in range(args.broadcasts)]
        plan.sort()
        out = ROOT / "var" / f"{namespace}-sent.json"
        out.parent.mkdir(exist_ok=True)
        sender = multiprocessing.get_context("spawn").Process(
            target=publisher, args=(redis_url, namespace, plan, str(out)))
        sender.start()
        await asyncio.to_thread(sender.join)
        deadline = time.time() + 30
        while time.time() < deadline:
            if all(f"u{s.index}" in s.seen for s in streams) and all(
                    all(f"b{b}" in s.seen for b in range(args.broadcasts)) for s in streams):
                break
            await asyncio.sleep(0.2)
        sent = json.loads(out.read_text())
        out.unlink()
        user_delays, lost = [], 0
        for stream in streams:
            key = f"u{stream.index}"
            if key in stream.seen:
                user_delays.append(stream.seen[key] - sent[key])
            else:
                lost += 1
        fanout = []
        for b in range(args.broadcasts):
            arrivals = [s.seen.get(f"b{b}") for s in streams]
            lost += sum(1 for a in arrivals if a is None)
            got = [a for a in arrivals if a is not None]
            if got:
                fanout.append(max(got) - sent[f"b{b}"])
        duplicated = sum(s.duplicates for s in streams)
        peak_rss = rss_mb(server.pid)
        for task in tasks:
            task.cancel()
        return {
            "streams_held": sum(1 for s in streams if s.ready.is_set()),
            "connect_all_s": round(connect_s, 2),
            "user_event_p50_ms": round(percentile(user_delays, 50) * 1000, 1),
            "user_event_p95_ms": round(percentile(user_delays, 95) * 1000, 1),
            "user_event_max_ms": round(max(user_delays) * 1000, 1) if user_delays else None,
            "broadcast_to_all_p95_ms": round(percentile(fanout, 95) * 1000, 1),
            "broadcast_to_all_max_ms": round(max(fanout) * 1000, 1) if fanout else None,
            "lost": lost, "duplicated": duplicated,
            "server_rss_idle_mb": round(idle_rss, 1), "server_rss_held_mb": round(held_rss, 1),
            "server_rss_peak_mb": round(peak_rss, 1),
            "rate_per_s": args.rate, "broadcasts": args.broadcasts, "workers": args.workers,
        }
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=200.0, help="per-user events published per second")
    parser.add_argument("--broadcasts", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gevent worker processes")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print(f"{result['streams_held']} streams held by {args.workers} gevent worker(s) "
          f"(connected in {result['connect_all_s']} s); "
          f"server RSS {result['server_rss_idle_mb']} MB idle -> {result['server_rss_held_mb']} MB holding them")
    print(f"per-user events at {args.rate:.0f}/s: p50 {result['user_event_p50_ms']} ms, "
          f"p95 {result['user_event_p95_ms']} ms, max {result['user_event_max_ms']} ms")
    print(f"board broadcasts to all {result['streams_held']} streams: p95 {result['broadcast_to_all_p95_ms']} ms, "
          f"max {result['broadcast_to_all_max_ms']} ms; lost {result['lost']}, duplicated {result['duplicated']}")
    print(json.dumps(result))

if __name__ == "__main__":
    main()
