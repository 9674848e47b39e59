"""The scheduler piece: fires due timers and relays the job outbox. Run one or more; one leads.

Leadership is a redis-py Lock (SET NX PX with a random token) renewed by its holder; a follower takes over
when the leader stops renewing, so a second scheduler is a hot standby and never fires a timer twice at the
same time. Timers are rows with an indexed due time, polled every TICK seconds, so a timer fires within about
TICK + the time to advance its instance; they survive restarts because nothing lives only in memory.
The leader beats a heartbeat key every SCHEDULER_HEARTBEAT_S (its own thread, so a long tick does not stop
it) that expires soon after: /healthz/pieces sees a killed scheduler within seconds.
"""
from __future__ import annotations

import logging
import signal
import sys
import time
from datetime import datetime, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from redis import Redis
from redis.exceptions import LockError
from redis.lock import Lock

from app import create_app
from app.engine import outbox, timers
from app.platform import periodic
from app.platform.extensions import db
from app.platform.queue import redis_connection

log = logging.getLogger("app.scheduler")


def heartbeat_key(leader_key: str) -> str:
    return f"{leader_key}:heartbeat"


class Leadership:
    def __init__(self, redis: Redis, ttl_ms: int = 10_000, key: str = "bpm:scheduler:leader"):
        self.redis = redis
        self.key = key
        self.lock = Lock(redis, key, timeout=ttl_ms / 1000, thread_local=False)

    def hold(self) -> bool:
        """Take or keep leadership; True while this process leads."""
        if self.lock.local.token is not None:
            try:
                return self.lock.reacquire()
            except LockError:  # the lease ran out and someone else may hold it now: try like a follower
                pass
        return self.lock.acquire(blocking=False)

    def release(self) -> None:
        """Give leadership back (a standby takes over at once) and stop claiming to be alive."""
        try:
            self.lock.release()
        except LockError:  # not ours (any more): nothing to give back
            return
        self.redis.delete(heartbeat_key(self.key))


def heartbeat_age_s(redis: Redis, leader_key: str) -> float | None:
    """Seconds since the leading scheduler's last beat; None when no scheduler leads (or it died)."""
    beat = redis.get(heartbeat_key(leader_key))
    return round(time.time() - float(beat), 1) if beat else None


def tick(app: Flask, leadership: Leadership) -> None:
    with app.app_context():
        if not leadership.hold():
            return
        try:
            timers.fire_or_hand_out(leadership.hold)
            outbox.sweep()
            periodic.enqueue_due()
        finally:
            db.session.remove()


def beat(leadership: Leadership, stale_after_s: float) -> None:
    if leadership.hold():
        leadership.redis.set(heartbeat_key(leadership.key), str(time.time()), px=int(stale_after_s * 1000))


def build(app: Flask, tick_seconds: float | None = None) -> BlockingScheduler:
    with app.app_context():
        leadership = Leadership(redis_connection(), key=app.config["SCHEDULER_LEADER_KEY"])
    tick_seconds = tick_seconds or app.config["SCHEDULER_TICK_S"]
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=tick_seconds, args=(app, leadership), id="tick",
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.add_job(beat, "interval", seconds=app.config["SCHEDULER_HEARTBEAT_S"],
                      args=(leadership, app.config["HEALTH_STALE_AFTER_S"]), id="heartbeat",
                      max_instances=1, coalesce=True, misfire_grace_time=None,
                      next_run_time=datetime.now(timezone.utc))
    scheduler.leadership = leadership
    return scheduler


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler %(levelname)s %(message)s")
    # A tick that outlasts the interval is normal under load; the next one simply starts later.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    app = create_app()
    scheduler = build(app)
    # SIGTERM (run_all, a service manager) and Ctrl-C both end the loop and release the leader lease, also
    # when a non-interactive shell started us in the background with SIGINT ignored.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    log.info("scheduler started")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        scheduler.leadership.release()


if __name__ == "__main__":
    main()
