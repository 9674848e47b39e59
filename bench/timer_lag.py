"""Timer lag: many pending timers falling due over a minute, fired by the real scheduler process.

Run from the repository root:  .venv/bin/python bench/timer_lag.py [--timers 10000 --spread-seconds 60]

Measures, on PostgreSQL (a throw-away schema), the lag of `--timers` timeDate timers whose due times are
spread uniformly over `--spread-seconds`:
  1. deploy  start -> intermediate timer catch (timeDate taken from task data `when`) -> end;
  2. time the creation of a small sample of instances (far-future timers, terminated again) to estimate
     how long creating all of them takes, and put the first due time after that (plus a margin);
  3. create all instances through engine.start_instance (one transaction each);
  4. start the real scheduler as a separate OS process (`python -m app.scheduler`, DATABASE_URL pointing
     at the schema, REDIS_URL at Redis db 14), wait until every timer fired (or the timeout), stop it
     with SIGINT;
  5. lag per timer = `at` of its `timer_fired` history event - the event's data["due_at"].
Prints count fired, p50/p95/p99/max lag, and as its last line one JSON object.
No timing assertions: it only measures and prints.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

import _common as common  # noqa: E402

from app.scheduler import heartbeat_key  # noqa: E402

PID = "bench_timer"
LEADER_KEY = "bpm:scheduler:leader"  # SCHEDULER_LEADER_KEY's default (config/settings.py)
HEARTBEAT_KEY = heartbeat_key(LEADER_KEY)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--timers", type=int, default=10_000, help="pending timers to fire")
    p.add_argument("--spread-seconds", type=float, default=60.0, help="due times spread over this many seconds")
    p.add_argument("--sample", type=int, default=200, help="instances timed first to estimate creation speed")
    p.add_argument("--startup-margin", type=float, default=8.0,
                   help="seconds between the estimated end of creation and the first due time "
                        "(covers estimation error and the scheduler's start-up)")
    p.add_argument("--drain-timeout", type=float, default=90.0,
                   help="seconds after the last due time to wait for the remaining timers")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    p.add_argument("--tick", type=float, default=None,
                   help="SCHEDULER_TICK_S for the scheduler (default: the scheduler's own, 0.25 s)")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def timer_process() -> str:
    from tests import bpmn_builder as b

    return b.process(PID, b.start(), b.catch("wait", b.timer("timeDate", "when")), b.end(),
                     b.chain("start", "wait", "end"), name="Timer lag benchmark")


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def pending_timers() -> tuple[int, datetime | None]:
    from sqlalchemy import func, select

    from app.engine.models import Timer
    from app.platform.extensions import db

    count, oldest = db.session.execute(select(func.count(), func.min(Timer.due_at))).one()
    db.session.rollback()
    return count, oldest


def fired_count() -> int:
    from sqlalchemy import func, select

    from app.engine.models import HistoryEvent
    from app.platform.extensions import db

    n = db.session.execute(select(func.count()).select_from(HistoryEvent)
                           .where(HistoryEvent.event_type == "timer_fired")).scalar()
    db.session.rollback()
    return n


def wait_for_leader_slot(redis, timeout: float = 15.0) -> bool:
    """Another scheduler on this Redis db would keep ours a follower; its lease lasts 10 s without renewal."""
    deadline = time.time() + timeout
    while redis.exists(LEADER_KEY):
        if time.time() > deadline:
            return False
        time.sleep(0.5)
    return True


def start_scheduler(url: str, redis_url: str, tick: float | None, log_path: Path) -> subprocess.Popen:
    python = common.ROOT / ".venv" / "bin" / "python"
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
    if tick is not None:
        env["SCHEDULER_TICK_S"] = str(tick)
    log = open(log_path, "wb")  # noqa: SIM115 - closed when the process is reaped
    # SIGINT is how the scheduler is stopped: make sure it is not inherited as ignored
    return subprocess.Popen([str(python if python.exists() else sys.executable), "-m", "app.scheduler"],
                            cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def stop_scheduler(proc: subprocess.Popen) -> int | None:
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def collect_lags() -> list[tuple[datetime, float]]:
    """(due, lag seconds) for every timer_fired event."""
    from sqlalchemy import select

    from app.engine.models import HistoryEvent
    from app.platform.extensions import db

    rows = db.session.execute(select(HistoryEvent.at, HistoryEvent.data)
                              .where(HistoryEvent.event_type == "timer_fired")).all()
    db.session.rollback()
    out = []
    for at, data in rows:
        due = datetime.fromisoformat(data["due_at"])
        out.append((due, (at - due).total_seconds()))
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    common.sigterm_as_exit()
    print(__doc__.strip().split("\n\n", 1)[1].split("No timing")[0].rstrip())
    print(f"\nSizes: {args.timers} timers over {args.spread_seconds:g} s; machine: {os.cpu_count()} CPUs")

    from redis import Redis

    redis = Redis.from_url(args.redis_url, socket_connect_timeout=3)
    redis.ping()

    result: dict = {}
    proc = None
    app = ctx = None
    schema = common.create_schema()
    url = common.pg_url_for(schema)
    tmp = Path(tempfile.mkdtemp(prefix="bench_timer_"))
    log_path = tmp / "scheduler.log"
    try:
        from app import engine

        app = common.build_app(url, tmp, redis_url=args.redis_url)
        ctx = app.app_context()
        ctx.push()
        (definition,) = engine.deploy([engine.Source("timer.bpmn", timer_process().encode())])
        from app.engine.runtime import definition_info

        info = definition_info(definition.id)

        # 1. creation speed on a sample (far-future timers, terminated again so they do not count)
        far = iso(datetime.now(timezone.utc) + timedelta(days=365))
        for _ in range(20):  # warm-up
            engine.terminate(engine.start_instance(info, {"when": far}))
        t0 = time.perf_counter()
        sample_ids = [engine.start_instance(info, {"when": far}) for _ in range(args.sample)]
        sample_rate = args.sample / (time.perf_counter() - t0)
        for instance_id in sample_ids:
            engine.terminate(instance_id)
        estimate = args.timers / sample_rate
        base = datetime.now(timezone.utc) + timedelta(seconds=estimate * 1.15 + args.startup_margin)
        print(f"\nCreation speed (sample of {args.sample}): {sample_rate:.0f} instances/s -> about {estimate:.0f} s "
              f"for {args.timers}; first due time at +{(base - datetime.now(timezone.utc)).total_seconds():.0f} s")

        # 2. create all instances; due times uniform over [base, base + spread), in shuffled order
        dues = [base + timedelta(seconds=args.spread_seconds * i / args.timers) for i in range(args.timers)]
        random.Random(args.seed).shuffle(dues)
        t0 = time.perf_counter()
        step = max(1, args.timers // 5)
        for i, due in enumerate(dues, 1):
            engine.start_instance(info, {"when": iso(due)})
            if i % step == 0:
                print(f"  created {i} ({i / (time.perf_counter() - t0):.0f}/s)", flush=True)
        created_at = datetime.now(timezone.utc)
        creation_s = time.perf_counter() - t0
        late = sum(1 for d in dues if d <= created_at)
        pending, _ = pending_timers()
        print(f"Created {args.timers} instances in {creation_s:.1f} s ({args.timers / creation_s:.0f}/s); "
              f"{pending} timers pending; first due in {(base - created_at).total_seconds():.1f} s")
        if late:
            print(f"WARNING: creation overran the first due times: {late} timers were due before creation ended "
                  f"(those fired inside start_instance and are not measured)")
        expected = pending

        # 3. the real scheduler, as its own OS process
        if not wait_for_leader_slot(redis):
            raise RuntimeError(f"another scheduler holds {LEADER_KEY} on {args.redis_url}; stop it or use "
                               f"--redis-url with another db")
        spawn = time.time()
        proc = start_scheduler(url, args.redis_url, args.tick, log_path)
        ready = None
        while time.time() - spawn < 60 and proc.poll() is None:
            beat = redis.get(HEARTBEAT_KEY)
            if beat is not None and float(beat) >= spawn:
                ready = float(beat)
                break
            time.sleep(0.1)
        if ready is None:
            raise RuntimeError(f"scheduler did not start (exit code {proc.poll()}):\n{tail(log_path)}")
        ahead = base.timestamp() - ready
        print(f"Scheduler (pid {proc.pid}) ticking {ready - spawn:.1f} s after spawn, "
              f"{ahead:.1f} s {'before' if ahead >= 0 else 'AFTER'} the first due time")

        # 4. wait until all fired (or timeout)
        deadline = base.timestamp() + args.spread_seconds + args.drain_timeout
        last_print = 0.0
        fired = 0
        while time.time() < deadline:
            fired = fired_count()
            if fired >= expected:
                break
            if proc.poll() is not None:
                print(f"WARNING: the scheduler exited early (code {proc.returncode}):\n{tail(log_path)}")
                break
            now = time.time()
            if now - last_print >= 5:
                left, oldest = pending_timers()
                behind = max(0.0, now - oldest.timestamp()) if oldest is not None else 0.0
                print(f"  t={now - base.timestamp():+6.1f} s  fired {fired:>6}  pending {left:>6}  "
                      f"oldest pending due {behind:5.1f} s ago", flush=True)
                last_print = now
            time.sleep(0.5)
        finished = time.time()
        code = stop_scheduler(proc)
        print(f"Scheduler stopped with SIGINT (exit code {code}) {finished - base.timestamp() - args.spread_seconds:+.1f} s "
              f"after the last due time")
        proc = None

        # 5. lags
        lags = collect_lags()
        values = [lag for _, lag in lags]
        fired = len(values)
        complete = fired >= expected
        p50, p95, p99 = (common.percentile(values, p) for p in (50, 95, 99))
        worst = max(values) if values else float("nan")
        first_at = min(d for d, _ in lags) if lags else None
        print(f"\nTimers fired: {fired} of {expected}" + ("" if complete else "  -- NOT ALL FIRED before the timeout"))
        if values:
            print(f"Lag (fired at - due): p50 {p50:.3f} s   p95 {p95:.3f} s   p99 {p99:.3f} s   max {worst:.3f} s   "
                  f"min {min(values):.3f} s")
            fire_span = max(d + timedelta(seconds=lag) for d, lag in lags) - min(
                d + timedelta(seconds=lag) for d, lag in lags)
            rate = fired / max(fire_span.total_seconds(), 1e-9)
            print(f"Fire rate: {rate:.0f} timers/s over {fire_span.total_seconds():.1f} s "
                  f"(due rate {args.timers / args.spread_seconds:.0f}/s)")
            print("\nLag by due time (tenths of the spread):")
            print(f"  {'due window s':>14} {'timers':>7} {'p50 s':>8} {'p99 s':>8} {'max s':>8}")
            tenth = args.spread_seconds / 10
            for k in range(10):
                bucket = [lag for d, lag in lags if k * tenth <= (d - first_at).total_seconds() < (k + 1) * tenth
                          or (k == 9 and (d - first_at).total_seconds() >= 10 * tenth)]
                if bucket:
                    print(f"  {k * tenth:6.1f}-{(k + 1) * tenth:<6.1f} {len(bucket):7d} "
                          f"{common.percentile(bucket, 50):8.3f} {common.percentile(bucket, 99):8.3f} "
                          f"{max(bucket):8.3f}")
        else:
            rate = 0.0
            print("No timer fired. Scheduler log:\n" + tail(log_path))
        result = {
            "p50_s": round(p50, 4) if values else None,
            "p99_s": round(p99, 4) if values else None,
            "p95_s": round(p95, 4) if values else None,
            "max_s": round(worst, 4) if values else None,
            "fired": fired,
            "expected": expected,
            "all_fired": complete,
            "fire_rate_per_s": round(rate, 1),
            "creation_per_s": round(args.timers / creation_s, 1),
            "timers": args.timers,
            "spread_s": args.spread_seconds,
        }
    finally:
        if proc is not None:
            stop_scheduler(proc)
        if ctx is not None:
            from app.platform.extensions import db

            db.session.remove()
            ctx.pop()
        if app is not None:
            common.release_app(app)
        common.drop_schema(schema)
        shutil.rmtree(tmp, ignore_errors=True)
    common.emit_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
