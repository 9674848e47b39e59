"""The evaluator processes: their operating-system limits, replacement, threads, fork, exit, and the data-only wire
(no database, no Flask app). Each test that needs its own processes uses a memory limit no other test uses, so it
gets a pool of its own."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.engine import evaluator
from app.engine.sandbox import EvaluatorCrashed, ScriptTimeout

ROOT = Path(__file__).resolve().parent.parent.parent


def pids(limits: evaluator.Limits) -> set[int]:
    pool = evaluator._pools.get(limits.memory_mb)
    return {child.proc.pid for child in pool._children} if pool else set()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def limits_of(pid: int) -> dict[str, str]:
    rows = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    return {row[:26].strip(): row[26:47].strip() for row in rows}


def test_an_evaluator_process_is_limited_and_knows_no_secrets(monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "do-not-leak-me")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:password@db/prod")
    limits = evaluator.Limits(memory_mb=201)
    assert evaluator.execute("x = 1", {}, None, None, limits) == {"x": 1}
    (pid,) = pids(limits)
    limits_row = limits_of(pid)
    assert limits_row["Max address space"] == str(201 << 20)
    assert limits_row["Max file size"] == "0"
    assert limits_row["Max core file size"] == "0"
    assert limits_row["Max processes"] == "0"
    assert int(limits_row["Max open files"]) <= 8
    assert sorted(map(int, os.listdir(f"/proc/{pid}/fd"))) == list(range(int(limits_row["Max open files"])))
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert b"do-not-leak-me" not in environ and b"password" not in environ
    assert os.readlink(f"/proc/{pid}/cwd") == "/"
    assert "app" not in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[1:2]  # python -I, not a fork of us
    assert b"-I" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


def test_a_stopped_evaluator_is_replaced() -> None:
    limits = evaluator.Limits(time_s=0.2, memory_mb=202, evaluators=1)
    assert evaluator.execute("x = 1", {}, None, None, limits) == {"x": 1}
    (first,) = pids(limits)
    with pytest.raises(ScriptTimeout):
        evaluator.execute("x = 1 in iter(int, 1)", {}, None, None, limits)
    assert wait_until(lambda: not alive(first), 2)
    assert evaluator.execute("x = 2", {}, None, None, limits) == {"x": 2}
    (second,) = pids(limits)
    assert second != first and evaluator._pools[202]._count == 1


def test_an_evaluator_killed_while_idle_costs_no_script_its_run() -> None:
    limits = evaluator.Limits(memory_mb=203, evaluators=1)
    evaluator.execute("x = 1", {}, None, None, limits)
    (first,) = pids(limits)
    os.kill(first, signal.SIGKILL)
    assert wait_until(lambda: not alive(first), 2)
    assert evaluator.execute("x = 2", {}, None, None, limits) == {"x": 2}
    assert pids(limits) and first not in pids(limits)


def test_an_evaluator_that_dies_while_running_a_script_is_an_error() -> None:
    limits = evaluator.Limits(time_s=5, memory_mb=204, evaluators=1)
    evaluator.execute("x = 1", {}, None, None, limits)
    (pid,) = pids(limits)
    threading.Timer(0.3, os.kill, (pid, signal.SIGSEGV)).start()
    with pytest.raises(EvaluatorCrashed, match="SIGSEGV"):
        evaluator.execute("x = 1 in iter(int, 1)", {}, None, None, limits)
    assert evaluator.execute("x = 3", {}, None, None, limits) == {"x": 3}


def test_threads_share_a_pool_of_bounded_size() -> None:
    limits = evaluator.Limits(memory_mb=205, evaluators=2)
    results: dict[int, list] = {}
    seen: set[int] = set()

    def work(n: int) -> None:
        results[n] = [evaluator.execute("y = x * 2", {"x": n * 100 + i}, None, None, limits)["y"] for i in range(30)]
        seen.update(pids(limits))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(results[n] == [(n * 100 + i) * 2 for i in range(30)] for n in range(8))
    assert len(seen) <= 2 and evaluator._pools[205]._count <= 2


def test_a_forked_process_gets_evaluators_of_its_own() -> None:
    limits = evaluator.Limits(memory_mb=206)
    evaluator.execute("x = 1", {}, None, None, limits)
    parents = pids(limits)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked process
        try:
            value = evaluator.execute("y = x + 1", {"x": 41}, None, None, limits)["y"]
            os.write(write_end, pickle.dumps((value, pids(limits))))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        value, forked_pids = pickle.loads(pipe.read())
    os.waitpid(child, 0)
    assert value == 42 and forked_pids and not forked_pids & parents
    assert all(alive(pid) for pid in parents)  # the fork let go of ours without touching them
    assert evaluator.execute("x = 2", {}, None, None, limits) == {"x": 2}


_OWNER = """
import sys, threading, time
sys.path.insert(0, {root!r})
from app.engine import evaluator
limits = evaluator.Limits(time_s={time_s}, memory_mb=207)
evaluator.execute("x = 1", {{}}, None, None, limits)
print(*[c.proc.pid for c in evaluator._pools[207]._children], flush=True)
if {busy}:
    threading.Thread(target=evaluator.execute, args=("x = 1 in iter(int, 1)", {{}}, None, None, limits),
                     daemon=True).start()
    time.sleep(0.3)
print("ready", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "spinning"])
def test_evaluators_end_when_their_owner_is_killed(busy: bool) -> None:
    """An idle evaluator reads end-of-file; one spinning in C code is ended by RLIMIT_CPU (limit + 2 s of its CPU
    time)."""
    owner = subprocess.Popen([sys.executable, "-c", _OWNER.format(root=str(ROOT), time_s=1 if busy else 30,
                                                                    busy=busy)],
                             stdout=subprocess.PIPE, text=True)
    try:
        (pid,) = map(int, owner.stdout.readline().split())
        assert owner.stdout.readline().strip() == "ready"
        assert alive(pid)
    finally:
        owner.kill()
        owner.wait()
    assert wait_until(lambda: not alive(pid), 60 if busy else 10)  # CPU seconds come slowly on a busy machine


def test_shutdown_ends_every_evaluator() -> None:
    limits = evaluator.Limits(memory_mb=208)
    evaluator.execute("x = 1", {}, None, None, limits)
    started = pids(limits)
    evaluator.shutdown()
    assert wait_until(lambda: not any(alive(pid) for pid in started), 5)
    assert evaluator.execute("x = 1", {}, None, None, limits) == {"x": 1}  # and they start again on demand


def test_a_memory_limit_too_small_to_start_is_a_clear_error() -> None:
    with pytest.raises(evaluator.EvaluatorUnavailable, match="memory limit of 8 MiB"):
        evaluator.execute("x = 1", {}, None, None, evaluator.Limits(memory_mb=8))


class _Reduces:
    def __init__(self, *reduction):
        self.reduction = reduction

    def __reduce__(self):
        return self.reduction


@pytest.mark.parametrize("payload", [
    b"cos\nsystem\n(S'echo hacked'\ntR.",  # protocol 0: os.system('echo hacked')
    pickle.dumps(("ok", print)),  # any callable by name
    pickle.dumps(("ok", _Reduces(bytes, (10 ** 9,)))),  # a gigabyte from a few bytes
    pickle.dumps(("ok", _Reduces(getattr, (str, "join")))),
], ids=["os.system", "print", "bytes", "getattr"])
def test_what_an_evaluator_sends_back_is_data_only(payload: bytes) -> None:
    """Even a child that escaped the sandbox cannot make this process call anything or allocate without bound:
    bytes(10**9) is refused like os.system."""
    with pytest.raises(pickle.UnpicklingError, match="is not task data"):
        evaluator._load_data(payload)
