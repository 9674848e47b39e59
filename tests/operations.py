"""Service operations used by the engine tests. Side effects are counted in Redis so that tests running
in other OS processes (real workers) can be checked."""
from __future__ import annotations

import time

from app.engine.registry import JobContext, operation


def _redis():
    from app.platform.queue import redis_connection

    return redis_connection()


@operation("test_add")
def add(params: dict, ctx: JobContext) -> dict:
    return {"sum": params["a"] + params["b"], "attempt": ctx.attempt}


@operation("test_flaky")
def flaky(params: dict, ctx: JobContext) -> dict:
    """Fails until attempt `succeed_on`."""
    if ctx.attempt < params["succeed_on"]:
        raise ConnectionError(f"device offline (attempt {ctx.attempt})")
    return {"ok": True, "attempt": ctx.attempt}


@operation("test_side_effect")
def side_effect(params: dict, ctx: JobContext) -> dict:
    """Counts runs; performs its side effect once per idempotency key; then sleeps (the crash window)."""
    r = _redis()
    prefix = params["prefix"]
    r.incr(f"{prefix}:runs")
    if r.set(f"{prefix}:done:{ctx.idempotency_key}", "1", nx=True):
        r.incr(f"{prefix}:effects")
    r.rpush(f"{prefix}:started", ctx.attempt)
    time.sleep(float(params.get("sleep", 0)))
    return {"attempt": ctx.attempt}


@operation("test_contradiction")
def contradiction(params: dict, ctx: JobContext) -> dict:
    """A failure no further attempt can fix."""
    from app.engine import PermanentFailure

    raise PermanentFailure("the data contradicts itself")
