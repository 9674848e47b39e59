"""The rush when a week's studio slots open at 08:00, through the real HTTP endpoints, served as in production.

The app runs under gunicorn (sync workers) on PostgreSQL and Redis, on loopback; requests come open-loop (at
their scheduled times, whether or not earlier ones have answered) from this process:

1. the rush: 50 signed-in students send booking requests at 50/s for 20 s (POST /bookings/resources/<id>/book,
   the calendar's slot button), 80% of them at 5 popular slots (Monday morning in the two studios), the rest
   spread over the week's slots of three studios. Answers: 303 booked, 409 taken (the page offers the
   waitlist), 422 refused by a rule (three bookings to come per person). p95 over all answers; afterwards the
   rows are checked for overlapping bookings of one studio (double bookings);
2. separately, rates stepped up (8 s each, fresh students and days) to find the highest with p95 <= 100 ms and
   no errors;
3. device calls through the worker: bookings of 20 studios (each its own device at the device simulator)
   whose start has come; their process's device step (power on, configure, start recording) runs on RQ
   workers (`python -m app.worker --burst`) against the simulator over HTTP: commands per second from the
   first job's start to the last job's end.

    .venv/bin/python bench/booking.py [--workers 4] [--rush-rate 50] [--rush-s 20] [--device-workers 4]

Needs PostgreSQL (TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test; a schema of its own,
dropped at the end) and Redis (REDIS_URL, default redis://127.0.0.1:6379/15). Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import free_port, percentile  # noqa: E402 - after the path is set
from bench.queue import PASSWORD, Browser, open_loop, wait_port  # noqa: E402

LOCAL = timezone(timedelta(hours=8))
STUDIOS = ("BENCH-STUDIO-A", "BENCH-STUDIO-B", "BENCH-STUDIO-C")
DEVICE_STUDIOS = 20


def config(settings: dict):
    from config.settings import Config

    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": settings["database_url"], "REDIS_URL": settings["redis_url"],
        "RQ_QUEUE": settings["queue"], "SECRET_KEY": settings["secret"], "VAR_DIR": Path(settings["var_dir"]),
        "DEVICE_GATEWAY_URL": settings["gateway"], "DEVICE_GATEWAY_TOKEN": settings["token"],
        "DEVICE_SIMULATOR": "off"})


def monday_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7 or 7)


def setup_database(settings: dict, students: int) -> dict:
    """A migrated schema with the processes deployed, three studios open 08:00-21:00 in 60-minute slots (direct
    booking, 14 days ahead) and the students (one cheap password hash for all)."""
    from flask_migrate import upgrade
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.bookings.models import Resource
    from app.engine import deploy_directory
    from app.identity.models import College, Major, Student, User, UserRole
    from app.platform.extensions import db

    app = create_app(config(settings))
    with app.app_context():
        upgrade()
        deploy_directory()
        password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
        now = datetime.now(timezone.utc)
        college = College(code="BENCH", name="测试学院")
        db.session.add(college)
        db.session.flush()
        major = Major(code="BENCH01", name="测试专业", college_id=college.id)
        db.session.add(major)
        db.session.flush()
        resources = {}
        for code in STUDIOS:
            resource = Resource(code=code, name=code, kind="studio", location="", booking_mode="direct", opens="08:00",
                                closes="21:00", closed_weekdays=[], closed_dates=[], slot_minutes=60, max_minutes=120,
                                advance_days=14, grace_minutes=15, remind_minutes=60, roles=["student"], devices=[],
                                description="", active=True)
            db.session.add(resource)
            db.session.flush()
            resources[code] = resource.id
        table = User.__table__
        ids = db.session.execute(insert(table).returning(table.c.id), [
            {"username": f"bench_b{i:05d}", "display_name": f"学生{i}", "password_hash": password, "active": True,
             "created_at": now} for i in range(students)]).scalars().all()
        db.session.execute(insert(UserRole.__table__), [{"user_id": u, "role": "student"} for u in ids])
        db.session.execute(insert(Student.__table__), [
            {"user_id": u, "student_no": f"B{i:07d}", "college_id": college.id, "major_id": major.id,
             "degree": "本科", "graduation_year": 2026} for i, u in enumerate(ids)])
        db.session.commit()
        db.session.remove()
    return {"resources": resources, "students": [f"bench_b{i:05d}" for i in range(students)]}


def book_job(port: int, browser: Browser, resource_id: int, start: datetime):
    async def job():
        response = await browser.post(port, f"/bookings/resources/{resource_id}/book",
                                      {"start": start.isoformat(), "slots": "1", "purpose": "空中面试"})
        return ("book", response.status)
    return job


def plan_requests(port: int, browsers: list[Browser], resources: dict, day: date, rate: float, seconds: float,
                  seed: int) -> list:
    """Open-loop (offset, job): 80% at five popular slots of `day`, the rest anywhere in that week."""
    rng = random.Random(seed)
    a, b, c = (resources[code] for code in STUDIOS)
    popular = [(a, 9), (a, 10), (b, 9), (b, 10), (a, 14)]
    plan = []
    for i in range(int(rate * seconds)):
        if rng.random() < 0.8:
            resource, hour = rng.choice(popular)
            when = day
        else:
            resource, hour = rng.choice((a, b, c)), rng.randrange(8, 21)
            when = day + timedelta(days=rng.randrange(0, 5))
        start = datetime.combine(when, dtime(hour), LOCAL)
        plan.append((i / rate, book_job(port, browsers[i % len(browsers)], resource, start)))
    return plan


def summary(results: list) -> tuple[list[float], dict[int, int], int]:
    latencies, statuses, errors = [], {}, 0
    for sent, done, outcome in results:
        if outcome[0] == "book":
            latencies.append((done - sent) * 1000)
            statuses[outcome[1]] = statuses.get(outcome[1], 0) + 1
            if outcome[1] >= 500:
                errors += 1
        else:
            errors += 1
    return latencies, statuses, errors


async def sign_in_all(port: int, usernames: list[str], resource_id: int) -> list[Browser]:
    gate = asyncio.Semaphore(16)

    async def one(index: int, username: str) -> Browser:
        async with gate:
            browser = Browser(username, f"10.1.{index // 256}.{index % 256}")
            await browser.sign_in(port)
            await browser.page(port, f"/bookings/resources/{resource_id}")  # the calendar, its CSRF token
            return browser

    return list(await asyncio.gather(*(one(i, u) for i, u in enumerate(usernames))))


async def drive(args, port: int, layout: dict) -> dict:
    resources = layout["resources"]
    pools = [layout["students"][i * args.users:(i + 1) * args.users] for i in range(1 + len(args.rates))]
    first = resources[STUDIOS[0]]
    monday = monday_after(datetime.now(LOCAL).date())
    browsers = await sign_in_all(port, pools[0], first)
    print(f"  {len(browsers)} students signed in; the rush: {args.rush_rate}/s for {args.rush_s:.0f} s", flush=True)
    plan = plan_requests(port, browsers, resources, monday, args.rush_rate, args.rush_s, seed=1)
    rush = await open_loop(plan, time.time() + 1)
    steps, best = [], 0
    for index, rate in enumerate(args.rates, start=1):
        browsers = await sign_in_all(port, pools[index], first)
        day = monday + timedelta(days=index % 7)
        plan = plan_requests(port, browsers, resources, day + timedelta(days=7) if index >= 7 else day, rate,
                             args.step_s, seed=index + 1)
        results = await open_loop(plan, time.time() + 1)
        latencies, statuses, errors = summary(results)
        p95 = percentile(latencies, 95)
        steps.append({"rate": rate, "p95_ms": round(p95, 1), "errors": errors, "statuses": statuses})
        print(f"  {rate}/s for {args.step_s:.0f} s: p95 {p95:.1f} ms, {errors} errors, answers {statuses}", flush=True)
        if p95 <= 100 and errors == 0:
            best = rate
        else:
            break
        await asyncio.sleep(2)
    return {"rush": rush, "steps": steps, "max_rate": best}


def double_bookings(settings: dict) -> tuple[int, int]:
    """Pairs of holding bookings of one resource whose times overlap (must be 0); and the bookings made."""
    from sqlalchemy import and_, func, select
    from sqlalchemy.orm import aliased

    from app import create_app
    from app.bookings import domain
    from app.bookings.models import Booking
    from app.platform.extensions import db

    app = create_app(config(settings))
    with app.app_context():
        other = aliased(Booking)
        overlaps = db.session.execute(select(func.count()).select_from(Booking).join(other, and_(
            other.resource_id == Booking.resource_id, other.id > Booking.id, other.start_at < Booking.end_at,
            other.end_at > Booking.start_at)).where(Booking.status.in_(domain.HOLDING),
                                                     other.status.in_(domain.HOLDING))).scalar()
        made = db.session.execute(select(func.count()).select_from(Booking)).scalar()
        db.session.remove()
    return overlaps, made


def start_simulator(work: Path, token: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DEVICE_GATEWAY_TOKEN=token, DEVICE_WEBHOOK_SECRET=secrets.token_urlsafe(16))
    log = (work / "simulator.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "integrations.devices.simulator", "--listen", url, "--files",
                             str(work / "files"), "--devices", ""], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    wait_port(port)
    return proc, url


def device_run(settings: dict, workers: int) -> dict:
    """Bookings of DEVICE_STUDIOS studios whose start has come, their device steps run by RQ workers."""
    import httpx
    from sqlalchemy import func, select

    from app import create_app
    from app.bookings import domain, services
    from app.bookings.models import Booking, Resource
    from app.engine.models import Job
    from app.identity.models import User
    from app.platform import clock
    from app.platform.extensions import db

    control = httpx.Client(base_url=settings["gateway"], headers={"Authorization": f"Bearer {settings['token']}"})
    app = create_app(config(settings))
    with app.app_context():
        app.config["RQ_ASYNC"] = True
        users = db.session.execute(select(User.id).order_by(User.id.desc()).limit(DEVICE_STUDIOS)).scalars().all()
        now = datetime.now(LOCAL)
        start = now.replace(minute=0, second=0, microsecond=0)
        if not 8 <= start.hour <= 19:
            start = start.replace(hour=9) - timedelta(days=1 if now.hour < 9 else 0)
        for index in range(DEVICE_STUDIOS):
            device = f"bench-studio-{index:02d}"
            control.put(f"/_sim/devices/{device}", json={"kind": "studio", "settings": {}}).raise_for_status()
            resource = Resource(code=f"BENCH-DEV-{index:02d}", name=device, kind="studio", location="",
                                booking_mode="direct", opens="08:00", closes="21:00", closed_weekdays=[],
                                closed_dates=[], slot_minutes=60, max_minutes=120, advance_days=14, grace_minutes=60,
                                remind_minutes=0, roles=["student"], devices=[{"id": device, "kind": "studio"}],
                                description="", active=True)
            db.session.add(resource)
            db.session.commit()
            with clock.clock_at(start - timedelta(minutes=30)):
                services.book(users[index], resource.id, domain.Slot(start, start + timedelta(hours=1)), "设备压测")
        db.session.remove()
        env = dict(os.environ, DATABASE_URL=settings["database_url"], REDIS_URL=settings["redis_url"],
                   RQ_QUEUE=settings["queue"], SECRET_KEY=settings["secret"], VAR_DIR=settings["var_dir"],
                   DEVICE_GATEWAY_URL=settings["gateway"], DEVICE_GATEWAY_TOKEN=settings["token"],
                   DEVICE_SIMULATOR="off")
        procs = [subprocess.Popen([sys.executable, "-m", "app.worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        deadline = time.time() + 600
        try:
            while time.time() < deadline:  # the process steps come one after the other: wait for the device steps
                done = db.session.execute(select(func.count()).select_from(Job).where(
                    Job.operation == "booking.devices_on", Job.status.in_(("succeeded", "incident")))).scalar()
                db.session.rollback()
                if done >= DEVICE_STUDIOS:
                    break
                time.sleep(0.5)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)
        rows = db.session.execute(select(Job.status).where(Job.operation == "booking.devices_on")).scalars().all()
        logs = db.session.execute(select(Booking.device_log).where(Booking.purpose == "设备压测")).scalars().all()
        db.session.remove()
    entries = [e for log in logs for e in log]
    calls = len(entries)
    first = min(datetime.fromisoformat(e["at"]) for e in entries)
    last = max(datetime.fromisoformat(e["at"]) for e in entries)
    recordings = sum(len(d.get("recordings") or ()) + (1 if d.get("recording") else 0)
                     for device_id, d in control.get("/_sim/devices").json().items() if device_id.startswith("bench-studio"))
    span = max((last - first).total_seconds(), 1e-3)
    return {"calls": calls, "span_s": span, "per_s": calls / span, "succeeded": sum(1 for r in rows if r == "succeeded"),
            "jobs": len(rows), "recording": recordings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers of the app")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rush-rate", type=float, default=50.0)
    parser.add_argument("--rush-s", type=float, default=20.0)
    parser.add_argument("--rates", type=lambda s: [int(x) for x in s.split(",")], default=[50, 75, 100, 150, 200])
    parser.add_argument("--step-s", type=float, default=8.0)
    parser.add_argument("--device-workers", type=int, default=4)
    args = parser.parse_args()

    import psycopg
    from redis import Redis

    pg_url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    work = Path(tempfile.mkdtemp(prefix="bench-booking-"))
    sep = "&" if "?" in pg_url else "?"
    token = secrets.token_urlsafe(16)
    simulator, gateway = start_simulator(work, token)
    settings = {"database_url": f"{pg_url}{sep}options=-csearch_path%3D{schema}", "redis_url": redis_url,
                "queue": f"benchb-{uuid.uuid4().hex[:8]}", "secret": uuid.uuid4().hex, "var_dir": str(work),
                "gateway": gateway, "token": token}
    port = free_port()
    env = dict(os.environ, DATABASE_URL=settings["database_url"], REDIS_URL=redis_url, RQ_QUEUE=settings["queue"],
               SECRET_KEY=settings["secret"], VAR_DIR=str(work), TRUSTED_PROXIES="1", DEVICE_SIMULATOR="off",
               DEVICE_GATEWAY_URL=gateway, DEVICE_GATEWAY_TOKEN=token)
    server = None
    try:
        t0 = time.time()
        layout = setup_database(settings, args.users * (1 + len(args.rates)) + DEVICE_STUDIOS)
        print(f"3 studios and {len(layout['students'])} students made, processes deployed in {time.time() - t0:.0f} s",
              flush=True)
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--log-level",
             "warning", "--graceful-timeout", "3", "--backlog", "2048", "app:create_app()"], cwd=ROOT, env=env)
        wait_port(port)
        time.sleep(2)
        with open("/proc/loadavg") as fh:
            load_before = fh.read().split()[:3]
        run = asyncio.run(drive(args, port, layout))
        overlaps, made = double_bookings(settings)
        print("  device steps through the worker", flush=True)
        devices = device_run(settings, args.device_workers)
        with open("/proc/loadavg") as fh:
            load_after = fh.read().split()[:3]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        simulator.terminate()
        simulator.wait(timeout=20)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        names = list(Redis.from_url(redis_url).scan_iter(match=f"{settings['queue']}*", count=1000))
        if names:
            Redis.from_url(redis_url).delete(*names)
    latencies, statuses, errors = summary(run["rush"])
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(f"rush: {len(latencies)} requests at {args.rush_rate:.0f}/s from {args.users} students: p50 {p50:.1f} ms, "
          f"p95 {p95:.1f} ms; answers {statuses} (303 booked, 409 taken, 422 a rule), {errors} errors")
    print(f"bookings made in all: {made}; overlapping bookings of one studio: {overlaps}")
    print(f"highest rate with p95 <= 100 ms: {run['max_rate']}/s ({run['steps']})")
    print(f"device steps: {devices['succeeded']}/{devices['jobs']} jobs succeeded on {args.device_workers} RQ workers, "
          f"{devices['calls']} commands in {devices['span_s']:.2f} s = {devices['per_s']:.1f} calls/s, "
          f"{devices['recording']} recordings started, one per booking (HTTP to the simulator)")
    print(f"load average before {' '.join(load_before)}, after {' '.join(load_after)}; app: gunicorn {args.workers} "
          f"sync workers; PostgreSQL, Redis on loopback; goal p95 <= 100 ms at 50/s, 0 double bookings")
    print(json.dumps({"book_p95_ms": round(p95, 1), "double_bookings": overlaps, "max_book_per_s": run["max_rate"],
                      "device_calls_per_s": round(devices["per_s"], 1)}))


if __name__ == "__main__":
    main()
