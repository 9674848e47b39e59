"""The scheduler piece: fires due timers and relays the job outbox. Run one or more; one leads.

Leadership is a Redis key (SET NX PX) renewed by its holder; a follower takes over when the leader stops
renewing, so a second scheduler is a hot standby and never fires a timer twice at the same time.
Timers are rows with an indexed due time, polled every TICK seconds, so a timer fires within about
TICK + the time to advance its instance; they survive restarts because nothing lives only in memory.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time
import uuid

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger("app.scheduler")
LEADER_KEY = "bpm:scheduler:leader"
HEARTBEAT_KEY = "bpm:scheduler:heartbeat"
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class Leadership:
    def __init__(self, redis, ttl_ms: int = 10_000, key: str = LEADER_KEY):
        self.redis = redis
        self.ttl_ms = ttl_ms
        self.key = key
        self.token = uuid.uuid4().hex
        self.renew = redis.register_script(_RENEW)

    def hold(self) -> bool:
        """Take or keep leadership; True while this process leads."""
        if self.renew(keys=[self.key], args=[self.token, self.ttl_ms]):
            return True
        return bool(self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def release(self) -> None:
        if self.redis.get(self.key) == self.token.encode():
            self.redis.delete(self.key)


def tick(app: Flask, leadership: Leadership) -> None:
    from app.engine import outbox, timers
    from app.platform.extensions import db

    with app.app_context():
        if not leadership.hold():
            return
        try:
            while timers.fire_due() > 0:
                if not leadership.hold():
                    break
            outbox.sweep()
            leadership.redis.set(HEARTBEAT_KEY, str(time.time()), ex=30)
        finally:
            db.session.remove()


def build(app: Flask, tick_seconds: float | None = None) -> BlockingScheduler:
    from app.platform.queue import redis_connection

    with app.app_context():
        leadership = Leadership(redis_connection(), key=os.environ.get("SCHEDULER_LEADER_KEY", LEADER_KEY))
    tick_seconds = tick_seconds or float(os.environ.get("SCHEDULER_TICK_S", "0.25"))
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=tick_seconds, args=(app, leadership), id="tick",
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.leadership = leadership
    return scheduler


def main() -> None:
    from app import create_app

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
