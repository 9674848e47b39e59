"""The worker piece: an RQ worker that keeps one app context (no fork per job, no app per job)."""
from __future__ import annotations

import logging
import sys

from rq import SimpleWorker


def main(argv: list[str] | None = None) -> None:
    from app import create_app
    from app.platform.queue import job_queue, redis_connection

    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    with app.app_context():
        worker = SimpleWorker([job_queue()], connection=redis_connection())
        worker.work(burst="--burst" in argv, with_scheduler=False, logging_level="WARNING")


if __name__ == "__main__":
    main()
