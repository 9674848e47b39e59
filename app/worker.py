"""The worker piece: an RQ worker that keeps one app context (no fork per job, no app per job).

A thread beats RQ's worker heartbeat every WORKER_HEARTBEAT_S, also while a job runs (RQ's SimpleWorker
beats only between jobs, which would make a worker busy with a long signing job look dead and a killed one
look alive for minutes). /healthz/pieces counts a worker alive while its last beat is recent.
"""
from __future__ import annotations

import logging
import sys
import threading
from datetime import datetime, timezone

from flask import Flask
from rq import Queue, SimpleWorker, Worker

from app import create_app
from app.platform.queue import job_queue, redis_connection

log = logging.getLogger("app.worker")


class PlatformWorker(SimpleWorker):
    """RQ's SimpleWorker plus a heartbeat thread, started once the worker is registered and stopped before it
    registers its death."""

    def __init__(self, *args, heartbeat_s: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.heartbeat_s = heartbeat_s
        self._stop_beating = threading.Event()
        self._beating: threading.Thread | None = None

    def register_birth(self) -> None:
        super().register_birth()
        self._stop_beating.clear()
        self._beating = threading.Thread(target=self._beat, name="rq-heartbeat", daemon=True)
        self._beating.start()

    def register_death(self) -> None:
        self._stop_beating.set()
        if self._beating is not None:
            self._beating.join()
        super().register_death()

    def _beat(self) -> None:
        while not self._stop_beating.wait(self.heartbeat_s):
            try:
                self.heartbeat()
            except Exception:  # noqa: BLE001 - Redis away for a moment: the next beat tries again
                log.warning("worker heartbeat failed", exc_info=True)


def alive_workers(queue: Queue, stale_after_s: float) -> list[Worker]:
    """Workers of this queue whose last heartbeat is at most `stale_after_s` old."""
    now = datetime.now(timezone.utc)
    return [w for w in Worker.all(queue=queue)
            if w.last_heartbeat is not None and (now - w.last_heartbeat).total_seconds() <= stale_after_s]


def run(app: Flask, burst: bool = False) -> None:
    """Work the app's queue in this process (inside one app context) until stopped, or until empty (burst)."""
    with app.app_context():
        worker = PlatformWorker([job_queue()], connection=redis_connection(),
                                heartbeat_s=app.config["WORKER_HEARTBEAT_S"])
        worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    run(create_app(), burst="--burst" in argv)


if __name__ == "__main__":
    main()
