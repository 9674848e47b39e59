"""Progress of long work on a worker (an import of 30,000 rows), for a page to poll: kept in Redis, outside
the work's own transaction, so it is visible while that transaction is still open.

    progress.report("import:42", done=1200, total=30000)
    progress.current("import:42")  -> {"done": 1200, "total": 30000, "percent": 4}  (None if unknown)
"""
from __future__ import annotations

from app.platform.queue import redis_connection

TTL_S = 86_400


def _name(key: str) -> str:
    return f"progress:{key}"


def report(key: str, done: int, total: int) -> None:
    name = _name(key)
    pipe = redis_connection().pipeline()
    pipe.hset(name, mapping={"done": done, "total": total})
    pipe.expire(name, TTL_S)
    pipe.execute()


def current(key: str) -> dict | None:
    found = redis_connection().hgetall(_name(key))
    if not found:
        return None
    done, total = int(found[b"done"]), int(found[b"total"])
    return {"done": done, "total": total, "percent": 100 if total == 0 else min(100, done * 100 // total)}


def clear(key: str) -> None:
    redis_connection().delete(_name(key))
