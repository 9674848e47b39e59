"""`make run` (app.run_all): SIGTERM stops web, worker, scheduler and the device simulator, and a piece that
dies stops the rest."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.fresh_machine_pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _start(tmp_path: Path, redis_url: str, port: int, simulator_port: int | None = None) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite'}", REDIS_URL=redis_url,
               VAR_DIR=str(tmp_path), PORT=str(port), RQ_QUEUE=f"runall-{port}",
               SCHEDULER_LEADER_KEY=f"runall-{port}:leader",
               DEVICE_SIMULATOR_URL=f"http://127.0.0.1:{simulator_port or _free_port()}",
               STREAM_PORT=str(_free_port()))
    return subprocess.Popen([sys.executable, "-m", "app.run_all"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 180) -> None:  # a loaded machine imports slowly
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the web piece never listened")


def test_sigterm_stops_every_piece(tmp_path, redis_url):
    port, simulator_port = _free_port(), _free_port()
    proc = _start(tmp_path, redis_url, port, simulator_port)
    try:
        _wait_for_port(port, proc)
        _wait_for_port(simulator_port, proc)  # the device simulator is a piece too
        time.sleep(1)  # worker and scheduler are up as well
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0
        deadline = time.time() + 10
        while _group_alive(proc.pid) and time.time() < deadline:
            time.sleep(0.1)
        assert not _group_alive(proc.pid), "a piece outlived make run"
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_piece_that_dies_stops_the_others(tmp_path, redis_url):
    with socket.socket() as blocker:  # the web piece cannot bind its port
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        proc = _start(tmp_path, redis_url, port)
        try:
            assert proc.wait(timeout=180) == 1
            output = proc.stdout.read()
            assert "web stopped (exit code" in output
            deadline = time.time() + 15
            while _group_alive(proc.pid) and time.time() < deadline:
                time.sleep(0.1)
            assert not _group_alive(proc.pid)
        finally:
            if _group_alive(proc.pid):
                os.killpg(proc.pid, signal.SIGKILL)


def test_sigterm_stops_the_embedded_redis_too(tmp_path):
    """Without REDIS_URL, make run serves on the embedded Redis (a daemon, outside its process group): stopping
    make run stops it as well, and its socket is gone."""
    from app.platform.queue import embedded_redis_pid

    port = _free_port()
    proc = _start(tmp_path, "", port)
    try:
        _wait_for_port(port, proc)
        pid = embedded_redis_pid(tmp_path)
        assert pid is not None, "make run did not start the embedded Redis"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0
        deadline = time.time() + 15
        while _process_alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        assert not _process_alive(pid), "the embedded Redis outlived make run"
        assert not (tmp_path / "redis.sock").exists()
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        from app.platform.queue import stop_embedded_redis

        stop_embedded_redis(tmp_path)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not running any more
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return True
