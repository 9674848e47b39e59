"""A simulated job fair through the real HTTP endpoints, served as in production: 200 booths, 3,000 students.

The app runs under gunicorn (sync workers) on PostgreSQL and Redis, the live events on the gevent stream
server (docs/live.md), both on loopback. Load comes from two other processes (so that the servers' latency is
measured, not the client's queue): one holds an event stream per student phone (3,000) plus one per hall
board, recording when each event arrives; the other sends requests open-loop, at their scheduled times
whether or not earlier ones have answered:

1. the opening burst: 3,000 check-ins in the first 60 s (50/s; POST /checkin/<token>, the student's tap after
   the QR code opened the page), each student at one booth;
2. then every booth calls next every 20-60 s (POST /booths/<id>/call) for CALL_S seconds; the delay of each
   call is measured from the moment the request was sent to the arrival of the call's event on the hall's board
   stream and on the called student's stream;
3. then, separately, check-in rates stepped up (10 s each) to find the highest this machine sustains with p95
   <= 50 ms (students checking in at further booths).

At the end the rows and Redis are checked: every answered check-in has its ticket, no number or student is in a
queue twice, every call reached the board and its student once, Redis's queues equal the rows'.

    .venv/bin/python bench/queue.py [--booths 200] [--students 3000] [--call-s 120] [--workers 4]

Needs PostgreSQL (TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test; a schema of its own,
dropped at the end) and Redis (REDIS_URL, default redis://127.0.0.1:6379/15). Last line: one JSON object.
"""
from __future__ import annotations

import sys
from pathlib import Path

# This file's name is the standard library's `queue`: take its folder off the import path before anything
# imports `queue` (asyncio does).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import socket
import subprocess
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from html import unescape
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import free_port, percentile, rss_mb  # noqa: E402 - after the path is set

PASSWORD = "Bench-Passwort-1"
HALLS = 10
STREAM_TYPES = ("queue.called", "booth")


def wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


# -- the data ---------------------------------------------------------------------------------------------

def setup_database(settings: dict, booths: int, students: int) -> dict:
    """A migrated schema with an open fair happening now: halls of booths, an approved employer and a recruiter
    per booth, the students, registered for the fair as they would be before its day (one cheap password hash
    for all: signing in is not what is measured)."""
    from flask_migrate import upgrade
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.identity.models import College, Employer, Major, Student, User, UserRole
    from app.interviews import domain
    from app.interviews.models import Booth, FairHall, FairRegistration, JobFair
    from app.platform.extensions import db
    from tests.interviews.conftest import credit_code

    app = create_app(config(settings))
    with app.app_context():
        upgrade()
        password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
        now = datetime.now(timezone.utc)
        college = College(code="BENCH", name="测试学院")
        db.session.add(college)
        db.session.flush()
        major = Major(code="BENCH01", name="测试专业", college_id=college.id)
        db.session.add(major)
        staff = User(username="bench_staff", display_name="测试老师", password_hash=password)
        staff.roles = [UserRole(role="staff")]
        db.session.add(staff)
        db.session.flush()
        fair = JobFair(title="压力测试双选会", day=date.today(), starts_at=now - timedelta(hours=1),
                       ends_at=now + timedelta(hours=6), venue="体育馆", capacity=100_000, registered=0,
                       booth_deadline=date.today(), no_show_minutes=30, pause_minutes=5, status=domain.FAIR_OPEN,
                       created_by=staff.id)
        db.session.add(fair)
        db.session.flush()
        per_hall = -(-booths // HALLS)
        layout = {"fair": fair.id, "booths": [], "halls": []}
        for h in range(HALLS):
            hall = FairHall(fair_id=fair.id, code="ABCDEFGHJKLMNPQR"[h], name=f"{h + 1}号馆", rows=1, cols=per_hall)
            db.session.add(hall)
            db.session.flush()
            layout["halls"].append(hall.id)
            for c in range(per_hall):
                index = len(layout["booths"])
                if index == booths:
                    break
                employer = Employer(name=f"测试单位{index:03d}", credit_code=credit_code(), status="approved")
                db.session.add(employer)
                db.session.flush()
                booth = Booth(fair_id=fair.id, hall_id=hall.id, code=domain.booth_code(hall.code, c + 1), row=0, col=c,
                              employer_id=employer.id)
                recruiter = User(username=f"bench_hr{index:03d}", display_name=f"招聘专员{index}", password_hash=password,
                                 employer_id=employer.id)
                recruiter.roles = [UserRole(role="employer")]
                db.session.add_all([booth, recruiter])
                db.session.flush()
                layout["booths"].append({"id": booth.id, "code": booth.code, "hall": hall.id,
                                         "recruiter": recruiter.username})
        table = User.__table__
        ids = db.session.execute(insert(table).returning(table.c.id), [
            {"username": f"bench_s{i:05d}", "display_name": f"学生{i}", "password_hash": password, "active": True,
             "created_at": now} for i in range(students)]).scalars().all()
        db.session.execute(insert(UserRole.__table__), [{"user_id": u, "role": "student"} for u in ids])
        db.session.execute(insert(Student.__table__), [
            {"user_id": u, "student_no": f"B{i:07d}", "college_id": college.id, "major_id": major.id,
             "degree": "本科", "graduation_year": 2026} for i, u in enumerate(ids)])
        db.session.execute(insert(FairRegistration.__table__), [
            {"fair_id": fair.id, "student_id": u, "registered_at": now} for u in ids])
        fair.registered = len(ids)
        db.session.commit()
        layout["students"] = [{"id": u, "username": f"bench_s{i:05d}"} for i, u in enumerate(ids)]
        db.session.remove()
    return layout


def config(settings: dict):
    from config.settings import Config

    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": settings["database_url"], "REDIS_URL": settings["redis_url"],
        "RQ_QUEUE": settings["queue"], "SECRET_KEY": settings["secret"], "VAR_DIR": Path(settings["var_dir"])})


# -- a minimal HTTP client (gunicorn's sync workers close every connection anyway) -------------------------

class Response:
    def __init__(self, status: int, headers: dict[str, list[str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None


async def request(port: int, method: str, path: str, cookie: str = "", form: dict | None = None,
                  address: str = "127.0.0.1") -> Response:
    body = urlencode(form or {}).encode() if method == "POST" else b""
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", f"X-Forwarded-For: {address}",
            "Accept-Language: zh-CN"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    if method == "POST":
        head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}",
                 "Referer: http://127.0.0.1/", "Origin: http://127.0.0.1"]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
    try:
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        headers: dict[str, list[str]] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        length = int(headers.get("content-length", ["-1"])[-1])
        if length >= 0:
            payload = await reader.readexactly(length)
        else:
            payload = await reader.read()
        return Response(status, headers, payload)
    finally:
        writer.close()


def session_cookie(response: Response) -> str | None:
    for value in response.headers.get("set-cookie", []):
        if value.startswith("session="):
            return value.split(";", 1)[0]
    return None


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LIVE = re.compile(r'<meta name="bpm-live" content="([^"]+)"')


class Browser:
    """One person's session: the cookie, a CSRF token, an address of their own (behind a trusted proxy)."""

    def __init__(self, username: str, address: str):
        self.username, self.address = username, address
        self.cookie, self.csrf = "", ""

    async def sign_in(self, port: int) -> None:
        page = await request(port, "GET", "/login", address=self.address)
        self.cookie = session_cookie(page) or ""
        self.csrf = CSRF.search(page.text)[1]
        done = await request(port, "POST", "/login", self.cookie, {"username": self.username, "password": PASSWORD,
                                                                   "csrf_token": self.csrf}, self.address)
        if done.status != 302:
            raise RuntimeError(f"sign-in of {self.username}: {done.status}")
        self.cookie = session_cookie(done) or self.cookie

    async def page(self, port: int, path: str) -> Response:
        response = await request(port, "GET", path, self.cookie, address=self.address)
        if response.status != 200:
            raise RuntimeError(f"{self.username} GET {path}: {response.status}")
        self.cookie = session_cookie(response) or self.cookie
        found = CSRF.search(response.text)
        if found:
            self.csrf = found[1]
        return response

    async def post(self, port: int, path: str, form: dict | None = None) -> Response:
        return await request(port, "POST", path, self.cookie, {**(form or {}), "csrf_token": self.csrf}, self.address)


# -- the streams (a process of their own) ------------------------------------------------------------------------

def hold_streams(urls: list[tuple[str, str]], ready_file: str, stop_file: str, out_file: str) -> None:
    """Open every (key, stream url), say when all are open, record each event's arrival until told to stop."""
    asyncio.run(_hold(urls, ready_file, stop_file, out_file))


async def _hold(urls, ready_file, stop_file, out_file):
    arrivals: list[tuple[float, str, str, dict]] = []
    ids_seen: dict[str, set] = {}
    duplicates = 0
    opened = 0

    async def one(key: str, url: str):
        nonlocal duplicates, opened
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, limit=1 << 20)
        writer.write(f"GET {parts.path}?{parts.query} HTTP/1.0\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"stream {key}: {status!r}")
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        seen = ids_seen.setdefault(key, set())
        event_id = None
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"id: "):
                event_id = line[4:].strip()
            elif line.startswith(b"data: "):
                event = json.loads(line[6:])
                if event["type"] == "ready":
                    opened += 1
                elif event["type"] in STREAM_TYPES:
                    if event_id in seen:
                        duplicates += 1
                    seen.add(event_id)
                    arrivals.append((time.time(), key, event["type"], event["data"]))

    tasks = []
    for index, (key, url) in enumerate(urls):
        tasks.append(asyncio.create_task(one(key, url)))
        if index % 100 == 99:
            await asyncio.sleep(0.1)  # phones arriving: ~1,000 streams per second
    deadline = time.time() + 300
    while opened < len(urls) and time.time() < deadline:
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.sleep(0.2)
    Path(ready_file).write_text(str(opened))
    while not Path(stop_file).exists():
        await asyncio.sleep(0.2)
    Path(out_file).write_text(json.dumps({"arrivals": arrivals, "duplicates": duplicates, "opened": opened}))
    for task in tasks:
        task.cancel()


# -- the driver -------------------------------------------------------------------------------------------------

async def prepare(port: int, layout: dict, concurrency: int = 24) -> dict:
    """Everyone signs in; students open their queue page (its stream URL), recruiters their QR poster (the
    booth's check-in link); each hall's board page gives its stream URL."""
    gate = asyncio.Semaphore(concurrency)
    fair = layout["fair"]

    async def student(s):
        async with gate:
            browser = Browser(s["username"], f"10.{s['id'] // 65536 % 256}.{s['id'] // 256 % 256}.{s['id'] % 256}")
            await browser.sign_in(port)
            # the phone's stream (its own channel, as every page of his has), then the page the booth's QR code opens
            token = await request(port, "GET", f"/live/token?c=user:{s['id']}", browser.cookie, address=browser.address)
            s["stream"] = json.loads(token.text)["url"]
            await browser.page(port, layout["booths"][s["booth"]]["checkin"])
            s["browser"] = browser

    async def recruiter(b):
        async with gate:
            browser = Browser(b["recruiter"], f"10.200.{b['id'] // 256 % 256}.{b['id'] % 256}")
            await browser.sign_in(port)
            poster = await browser.page(port, f"/booths/{b['id']}/qr")
            link = re.search(r"https?://[^\s<\"]+/checkin/[A-Za-z0-9_.\-]+", poster.text)[0]
            await browser.page(port, f"/booths/{b['id']}/console")
            b["browser"], b["checkin"] = browser, "/" + link.split("/", 3)[3]

    async def board(hall):
        async with gate:
            page = await request(port, "GET", f"/fairs/{fair}/halls/{hall}/board")
            return hall, unescape(LIVE.search(page.text)[1])

    t0 = time.time()
    rng = random.Random(7)
    for s in layout["students"]:
        s["booth"] = rng.randrange(len(layout["booths"]))
    await asyncio.gather(*(recruiter(b) for b in layout["booths"]))
    await asyncio.gather(*(student(s) for s in layout["students"]))
    boards = dict(await asyncio.gather(*(board(h) for h in layout["halls"])))
    return {"boards": boards, "prepare_s": time.time() - t0}


async def open_loop(plan: list[tuple[float, object]], start: float) -> list:
    """Run each (offset, coroutine function) at start + offset, not waiting for the ones before."""
    loop = asyncio.get_running_loop()
    results = []
    tasks = []

    async def run(job):
        sent = time.time()
        try:
            outcome = await job()
        except Exception as err:  # noqa: BLE001 - a failed request is a result
            outcome = ("error", repr(err))
        results.append((sent, time.time(), outcome))

    for offset, job in sorted(plan, key=lambda item: item[0]):
        delay = start + offset - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(run(job)))
    await asyncio.gather(*tasks)
    return results


def checkin_job(port: int, student: dict, booth: dict):
    async def job():
        response = await student["browser"].post(port, booth["checkin"])
        return ("checkin", student["id"], booth["id"], response.status, response.header("location"))
    return job


def call_job(port: int, booth: dict):
    async def job():
        response = await booth["browser"].post(port, f"/booths/{booth['id']}/call")
        return ("call", booth["id"], response.status)
    return job


def latency_ms(results: list, kind: str, ok_status: int) -> tuple[list[float], int]:
    good = [(done - sent) * 1000 for sent, done, outcome in results
            if outcome[0] == kind and outcome[-2 if kind == "checkin" else -1] == ok_status]
    errors = sum(1 for _s, _d, outcome in results if outcome[0] != kind or outcome[-2 if kind == "checkin" else -1]
                 != ok_status)
    return good, errors


async def find_max_rate(port: int, layout: dict, rates: list[int], seconds: float) -> tuple[int, list[dict]]:
    """Check-in rates stepped up; the highest with p95 <= 50 ms (and no errors)."""
    booths, students = layout["booths"], layout["students"]
    best, steps = 0, []
    shift = 1
    for rate in rates:
        shift += 1
        count = int(rate * seconds)
        plan = [(i / rate, checkin_job(port, students[i % len(students)],
                                       booths[(students[i % len(students)]["booth"] + shift + i // len(students))
                                              % len(booths)]))
                for i in range(count)]
        results = await open_loop(plan, time.time() + 0.5)
        lat, errors = latency_ms(results, "checkin", 303)
        p95 = percentile(lat, 95)
        steps.append({"rate": rate, "p95_ms": round(p95, 1), "errors": errors, "n": len(results)})
        print(f"  {rate}/s for {seconds:.0f} s: p95 {p95:.1f} ms, {errors} errors", flush=True)
        if p95 <= 50 and errors == 0:
            best = rate
        else:
            break
        await asyncio.sleep(3)
    return best, steps


async def drive(args, port: int, layout: dict, stream_port: int, work: Path) -> dict:
    prepared = await prepare(port, layout)
    print(f"  {len(layout['students'])} students and {len(layout['booths'])} recruiters signed in, pages opened in "
          f"{prepared['prepare_s']:.0f} s", flush=True)
    urls = [(f"s{s['id']}", s["stream"]) for s in layout["students"]]
    urls += [(f"h{hall}", url) for hall, url in prepared["boards"].items()]
    ready, stop, out = (str(work / n) for n in ("ready", "stop", "events.json"))
    holder = multiprocessing.get_context("spawn").Process(target=hold_streams, args=(urls, ready, stop, out))
    holder.start()
    while not Path(ready).exists():
        if not holder.is_alive():
            raise SystemExit("the stream holder died")
        await asyncio.sleep(0.5)
    held = int(Path(ready).read_text())
    rss_held = rss_mb(args.stream_pid)
    print(f"  {held} streams open (stream server RSS {rss_held:.0f} MB)", flush=True)

    rng = random.Random(11)
    rate = len(layout["students"]) / args.burst_s
    plan = [(i / rate, checkin_job(port, s, layout["booths"][s["booth"]])) for i, s in enumerate(layout["students"])]
    for booth in layout["booths"]:
        at = args.burst_s + rng.uniform(0, 20)
        while at < args.burst_s + args.call_s:
            plan.append((at, call_job(port, booth)))
            at += rng.uniform(20, 60)
    start = time.time() + 1
    results = await open_loop(plan, start)
    await asyncio.sleep(3)  # the last events arrive
    Path(stop).write_text("1")
    holder.join(timeout=60)
    events = json.loads(Path(out).read_text())
    rss_peak = rss_mb(args.stream_pid)
    print("  finding the highest check-in rate with p95 <= 50 ms", flush=True)
    best, steps = await find_max_rate(port, layout, args.rates, args.step_s)
    return {"results": results, "events": events, "held": held, "rss_held": rss_held, "rss_peak": rss_peak,
            "max_rate": best, "steps": steps}


# -- checking the outcome ----------------------------------------------------------------------------------------

def analyse(layout: dict, run: dict, settings: dict) -> dict:
    from sqlalchemy import func, select

    from app import create_app
    from app.interviews import queue_store
    from app.interviews.models import QueueTicket
    from app.platform.extensions import db
    from app.platform.queue import redis_connection

    results, events = run["results"], run["events"]
    checkins = [r for r in results if r[2][0] == "checkin"]
    calls = [r for r in results if r[2][0] == "call"]
    checkin_ms, checkin_errors = latency_ms(checkins, "checkin", 303)
    call_ms, call_errors = latency_ms(calls, "call", 303)
    code_of = {b["id"]: b["code"] for b in layout["booths"]}
    hall_of = {b["id"]: b["hall"] for b in layout["booths"]}
    student_events: dict[str, list] = {}
    board_events: dict[int, list] = {}
    for at, key, kind, data in events["arrivals"]:
        if kind == "queue.called" and key.startswith("s"):
            student_events.setdefault(data["booth"], []).append((at, data["ticket"]))
        elif kind == "booth" and key.startswith("h"):
            board_events.setdefault(int(data["booth"]), []).append((at, tuple(c["number"] for c in data["current"])))
    board_delays, student_delays, lost_events, tickets_called = [], [], 0, []
    for sent, _done, outcome in sorted(calls):
        booth = outcome[1]
        if outcome[2] != 303:
            continue
        after = [e for e in board_events.get(booth, []) if e[0] >= sent]
        if after:
            board_delays.append(after[0][0] - sent)
            board_events[booth].remove(after[0])
        else:
            lost_events += 1
        mine = [e for e in student_events.get(code_of[booth], []) if e[0] >= sent]
        if mine:
            student_delays.append(mine[0][0] - sent)
            tickets_called.append(mine[0][1])
            student_events[code_of[booth]].remove(mine[0])
        else:
            lost_events += 1
    duplicated = events["duplicates"] + (len(tickets_called) - len(set(tickets_called)))
    app = create_app(config(settings))
    lost = lost_events
    with app.app_context():
        fair = layout["fair"]
        answered = {(o[1], o[2]) for _s, _d, o in checkins if o[3] == 303}
        rows = db.session.execute(select(QueueTicket.student_id, QueueTicket.booth_id, QueueTicket.number,
                                         QueueTicket.status, QueueTicket.order_key)
                                  .where(QueueTicket.fair_id == fair)).all()
        have = {(r.student_id, r.booth_id) for r in rows}
        lost += len(answered - have)
        per_booth: dict[int, list] = {}
        for r in rows:
            per_booth.setdefault(r.booth_id, []).append(r)
        redis = redis_connection()
        for booth_id, tickets in per_booth.items():
            numbers = [t.number for t in tickets]
            duplicated += len(numbers) - len(set(numbers))
            active = [t.student_id for t in tickets if t.status in ("waiting", "called", "in_interview")]
            duplicated += len(active) - len(set(active))
            waiting = [t.student_id for t in sorted(tickets, key=lambda t: t.order_key) if t.status == "waiting"]
            in_redis = [int(s) for s in redis.zrange(queue_store.keys(fair).booth(booth_id, "w"), 0, -1)]
            lost += len(set(waiting) - set(in_redis))
            duplicated += len(set(in_redis) - set(waiting))
            if in_redis != waiting and set(in_redis) == set(waiting):
                lost += 1  # same tickets, another order
        called_rows = db.session.execute(select(func.count()).select_from(QueueTicket).where(
            QueueTicket.fair_id == fair, QueueTicket.status == "called")).scalar_one()
        db.session.remove()
    calls_ok = sum(1 for _s, _d, o in calls if o[2] == 303)
    return {
        "checkins": len(checkins), "checkin_errors": checkin_errors, "calls": len(calls), "call_errors": call_errors,
        "calls_ok": calls_ok, "called_rows": called_rows,
        "checkin_p50_ms": round(percentile(checkin_ms, 50), 1), "checkin_p95_ms": round(percentile(checkin_ms, 95), 1),
        "call_next_p50_ms": round(percentile(call_ms, 50), 1), "call_next_p95_ms": round(percentile(call_ms, 95), 1),
        "board_delay_p95_s": round(percentile(board_delays, 95), 3),
        "student_delay_p95_s": round(percentile(student_delays, 95), 3),
        "lost": lost, "duplicated": duplicated,
    }


# -- main -------------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--booths", type=int, default=200)
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--burst-s", type=float, default=60.0, help="the opening burst: all check-ins within this")
    parser.add_argument("--call-s", type=float, default=120.0, help="how long the booths call after the burst")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers of the app")
    parser.add_argument("--stream-workers", type=int, default=1, help="gevent workers of the stream server")
    parser.add_argument("--rates", type=lambda s: [int(x) for x in s.split(",")], default=[50, 75, 100, 150, 200, 300])
    parser.add_argument("--step-s", type=float, default=10.0)
    args = parser.parse_args()

    import psycopg
    from redis import Redis

    pg_url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    work = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    sep = "&" if "?" in pg_url else "?"
    settings = {"database_url": f"{pg_url}{sep}options=-csearch_path%3D{schema}", "redis_url": redis_url,
                "queue": f"benchq-{uuid.uuid4().hex[:8]}", "secret": uuid.uuid4().hex, "var_dir": str(work)}
    port, stream_port = free_port(), free_port()
    env = dict(os.environ, DATABASE_URL=settings["database_url"], REDIS_URL=redis_url, RQ_QUEUE=settings["queue"],
               SECRET_KEY=settings["secret"], VAR_DIR=str(work), TRUSTED_PROXIES="1",
               LIVE_STREAM_URL=f"http://127.0.0.1:{stream_port}/events", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
               DEVICE_SIMULATOR="off")
    servers = []
    try:
        t0 = time.time()
        layout = setup_database(settings, args.booths, args.students)
        print(f"fair with {args.booths} booths in {HALLS} halls and {args.students} students made in "
              f"{time.time() - t0:.0f} s", flush=True)
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--log-level",
             "warning", "--graceful-timeout", "3", "--backlog", "2048", "app:create_app()"], cwd=ROOT, env=env))
        stream = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", str(args.stream_workers), "--worker-connections",
             "10000", "-b", f"127.0.0.1:{stream_port}", "--log-level", "warning", "--graceful-timeout", "3",
             "app.platform.live_server:create_stream_app()"], cwd=ROOT, env=env)
        servers.append(stream)
        wait_port(port)
        wait_port(stream_port)
        time.sleep(2)
        args.stream_pid = stream.pid
        rss_idle = rss_mb(stream.pid)
        with open("/proc/loadavg") as fh:
            load_before = fh.read().split()[:3]
        run = asyncio.run(drive(args, port, layout, stream_port, work))
        figures = analyse(layout, run, settings)
        with open("/proc/loadavg") as fh:
            load_after = fh.read().split()[:3]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        names = list(Redis.from_url(redis_url).scan_iter(match=f"{settings['queue']}:*", count=1000))
        if names:
            Redis.from_url(redis_url).delete(*names)
    print(f"opening burst: {figures['checkins']} check-ins at {args.students / args.burst_s:.0f}/s: p50 "
          f"{figures['checkin_p50_ms']} ms, p95 {figures['checkin_p95_ms']} ms, {figures['checkin_errors']} errors")
    print(f"calls: {figures['calls']} (every 20-60 s per booth): p50 {figures['call_next_p50_ms']} ms, p95 "
          f"{figures['call_next_p95_ms']} ms, {figures['call_errors']} errors; {figures['called_rows']} tickets called")
    print(f"delay from a call to the hall's board: p95 {figures['board_delay_p95_s']} s; to the student's phone: p95 "
          f"{figures['student_delay_p95_s']} s")
    print(f"streams held: {run['held']}; stream server RSS {rss_idle:.0f} MB idle, {run['rss_held']:.0f} MB holding them, "
          f"{run['rss_peak']:.0f} MB after the fair")
    print(f"lost {figures['lost']}, duplicated {figures['duplicated']}; highest check-in rate with p95 <= 50 ms: "
          f"{run['max_rate']}/s ({run['steps']})")
    print(f"load average before {' '.join(load_before)}, after {' '.join(load_after)}; app: gunicorn {args.workers} "
          f"sync workers; stream server: {args.stream_workers} gevent worker(s); PostgreSQL, Redis on loopback")
    print(json.dumps({
        "checkin_p95_ms": figures["checkin_p95_ms"], "call_next_p95_ms": figures["call_next_p95_ms"],
        "board_delay_p95_s": figures["board_delay_p95_s"], "streams_held": run["held"], "lost": figures["lost"],
        "duplicated": figures["duplicated"], "max_checkin_per_s": run["max_rate"],
        "student_delay_p95_s": figures["student_delay_p95_s"], "stream_server_rss_mb": round(run["rss_peak"], 1)}))


if __name__ == "__main__":
    main()
