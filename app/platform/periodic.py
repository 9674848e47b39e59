"""Periodic jobs of the areas (Area.periodic_jobs): the scheduler's leader calls `enqueue_due()` on every tick;
each job is enqueued at most once per period, however many schedulers run (a Redis key per job and period)."""
from __future__ import annotations

from flask import current_app

from app.platform.areas import registry
from app.platform.queue import job_queue, redis_connection


def enqueue_due() -> list[str]:
    """Enqueue every periodic job whose period has passed; returns the names enqueued."""
    prefix = f"{current_app.config['RQ_QUEUE']}:periodic"
    redis = redis_connection()
    enqueued = []
    for job in registry().periodic_jobs:
        if redis.set(f"{prefix}:{job.name}", 1, nx=True, ex=job.every_s):
            job_queue().enqueue(job.func, job_timeout=current_app.config["JOB_TIMEOUT_S"],
                                result_ttl=600, failure_ttl=86400)
            enqueued.append(job.name)
    return enqueued
