"""Process code runs in evaluator processes whose time and memory the operating system limits.

Every script, condition and expression from BPMN (untrusted) is sent over a pipe, with the task data it reads,
to one of a few warm child processes (a fresh `python -I` that loads only the sandbox policy; no fork of the
web process, no database connection, no secrets in its environment). The child runs it under the RestrictedPython
policy (`sandbox.py`) and sends back the value or the task data the script leaves. The limits hold even for work
inside a single C call (a backtracking regex, a huge factorial), which no in-process check can interrupt:

- time: the parent waits at most the time limit for the answer, then kills the child with SIGKILL (a fresh
  child replaces it); RLIMIT_CPU is the backstop for a child whose parent is gone;
- memory: RLIMIT_AS caps the child's address space (a MemoryError there; the child is then replaced);
- no new files, sockets or processes (RLIMIT_NOFILE, RLIMIT_FSIZE, RLIMIT_NPROC), no core dumps.

Each process (web, worker, scheduler, CLI) has its own pools, started on first use, shared by its threads (a
child serves one request at a time), dropped in a forked child and closed at exit. Expressions that are
provably harmless (`sandbox.trivial_names`: literals, names, comparisons over scalars) are evaluated in-process.

Data crosses the pipe pickled, both ways only of the types task data holds (`_DataPickler`); what a child sends
back is unpickled with a whitelist of those types (a child is never trusted to name a callable) and is capped in
size.
"""
from __future__ import annotations

import atexit
import io
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, SafeUUID
from zoneinfo import ZoneInfo

from app.engine import sandbox
from app.platform.clock import TIMEZONE_NAME

MAX_REPLY_BYTES = 32 << 20  # task data is kilobytes; a reply this large is a script filling memory on purpose
STARTUP_TIMEOUT_S = 30.0  # a fresh interpreter on a busy machine; never counted against a script's limit
_HEADER = struct.Struct("<I")
_ROOT = Path(__file__).resolve().parent.parent.parent
# The child imports app.engine.evaluator, app.engine.sandbox and app.platform.clock without running the packages' __init__ modules
# (which load Flask, SQLAlchemy and SpiffWorkflow): empty package objects that only know their directories.
_BOOT = """import sys, types
for name in ("app", "app.engine", "app.platform"):
    package = types.ModuleType(name)
    package.__path__ = [sys.argv[1] + "/" + name.replace(".", "/")]
    sys.modules[name] = package
from app.engine.evaluator import serve
serve(int(sys.argv[2]))
"""


@dataclass(frozen=True)
class Limits:
    time_s: float = 1.0  # wall-clock seconds per evaluation
    memory_mb: int = 256  # address space of an evaluator process
    evaluators: int = 2  # evaluator processes per pool (per memory limit) in one process


def limits_from(config) -> Limits:
    """The limits an app's settings ask for: SCRIPT_TIME_LIMIT_S, SCRIPT_MEMORY_LIMIT_MB, SCRIPT_EVALUATORS."""
    return Limits(float(config["SCRIPT_TIME_LIMIT_S"]), int(config["SCRIPT_MEMORY_LIMIT_MB"]),
                  int(config["SCRIPT_EVALUATORS"]))


class EvaluatorUnavailable(RuntimeError):
    """An evaluator process could not be started (not the script's fault)."""


def evaluate(source: str, context: dict, external: dict | None, env_globals: dict | None, limits: Limits) -> Any:
    """The value of an expression over task data, under the sandbox policy and the limits."""
    sandbox.compiled(source, "eval")  # refused code fails here, without a round trip
    names = sandbox.trivial_names(source)
    if names is not None:
        values = _scalar_values(names, (context, external or {}, env_globals or {}))
        if values is not None:
            return sandbox.evaluate_trivial(source, values)
    read = sandbox.names_read(source, "eval")
    return _pool(limits).run(("eval", source, *(_only(read, d) for d in (context, external, env_globals))), limits)


def execute(source: str, context: dict, external: dict | None, env_globals: dict | None, limits: Limits) -> dict:
    """The task data a script leaves, run under the sandbox policy and the limits (`context` is not changed).

    Only the variables the script names go to the evaluator (the policy leaves no other way to reach task data:
    no globals(), vars(), eval or frames); the others stay as they are, in their place."""
    sandbox.compiled(source, "exec")
    read = sandbox.names_read(source, "exec")
    sent = _only(read, context)
    result = _pool(limits).run(("exec", source, sent, _only(read, external), _only(read, env_globals)), limits)
    data = context.copy()  # keys keep their places; new ones come last, as in SpiffWorkflow's environment
    for key in sent:
        if key not in result:
            del data[key]  # the script deleted it
    data.update(result)
    return data


def _only(names: frozenset[str], data: dict | None) -> dict:
    if not data:
        return {}
    if len(names) < len(data):
        return {k: data[k] for k in names if k in data}
    return {k: v for k, v in data.items() if k in names}


def _scalar_values(names: frozenset[str], scopes: tuple[dict, ...]) -> dict | None:
    values = {}
    for name in names:
        for scope in scopes:  # the evaluator's namespace order: task data over data objects over globals
            if name in scope:
                value = scope[name]
                if type(value) not in sandbox.SCALARS:
                    return None
                values[name] = value
                break
        else:
            return None  # a builtin or an unknown name: the evaluator says what it is
    return values


# -- the wire --------------------------------------------------------------------------------------------------

_DATA_TYPES = (datetime, date, dtime, timedelta, timezone, Decimal, UUID, SafeUUID, complex, bytearray)
_CONTAINERS = (dict, list, tuple, set, frozenset, str, int, float)  # what subclasses of these become
_CLASSES = frozenset((*_DATA_TYPES, *_CONTAINERS, ZoneInfo))
# The callables a reply may name. None makes more data than it is given (bytes(n) would; it is not here).
_DATA_GLOBALS = frozenset({("builtins", t.__name__) for t in (complex, *_CONTAINERS)}
                          | {(t.__module__, t.__qualname__) for t in _DATA_TYPES if t.__module__ != "builtins"}
                          | {("zoneinfo", "ZoneInfo")})


class _NotData(pickle.PicklingError):
    def __init__(self, kind: type):
        super().__init__(f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__name__)


class _DataPickler(pickle.Pickler):
    """Pickles only what task data can hold. Subclasses (Counter, OrderedDict, named tuples) become their plain
    base type, as SpiffWorkflow's JSON serializer would store them."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _DATA_TYPES or (kind is type and obj in _CLASSES):  # classes: as the globals of reductions
            return NotImplemented
        if kind is ZoneInfo and obj.key is not None:
            return ZoneInfo, (obj.key,)
        for base in _CONTAINERS:
            if isinstance(obj, base):
                return base, (base(obj),)
        raise _NotData(kind)


class _DataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _DATA_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not task data")


def _dump_data(value: Any) -> bytes:
    """Pickled as a tree, the way task data is stored: without pickle's memo, a value referenced twice is written
    twice, so a small structure of shared references that would expand to gigabytes in the stored JSON fails here,
    in the evaluator, under its memory limit; a cycle fails with RecursionError."""
    buffer = io.BytesIO()
    pickler = _DataPickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return buffer.getvalue()


def _load_data(data: bytes) -> Any:
    return _DataUnpickler(io.BytesIO(data)).load()


def _frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# -- the parent's side -----------------------------------------------------------------------------------------

class _Overrun(Exception):
    pass


class _Child:
    """One evaluator process and its two pipes; used by one thread at a time."""

    def __init__(self, memory_mb: int):
        env = {"LC_ALL": "C.UTF-8", "PROCESS_TIMEZONE": TIMEZONE_NAME}
        if "TZ" in os.environ:
            env["TZ"] = os.environ["TZ"]
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, str(_ROOT), str(memory_mb)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, close_fds=True, cwd="/", env=env, bufsize=0)
        self.wfd, self.rfd = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self.poller = select.poll()
        self.poller.register(self.rfd, select.POLLIN)
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        try:
            status, detail = _load_data(self.receive(time.monotonic() + STARTUP_TIMEOUT_S))
        except _Overrun:
            raise EvaluatorUnavailable(f"no evaluator process started within {STARTUP_TIMEOUT_S:g} s") from None
        except EOFError:
            raise EvaluatorUnavailable(f"the evaluator process exited at start ({self._status()})") from None
        if status != "ready":
            raise EvaluatorUnavailable(f"the evaluator process cannot run: {detail}")
        self.ready = True

    def receive(self, deadline: float) -> bytes:
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > MAX_REPLY_BYTES:
            raise _Overrun("reply too large")
        return self._read(size, deadline)

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, missing = [], size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.poller.poll(remaining * 1000):
                raise _Overrun("time")
            chunk = os.read(self.rfd, missing)
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def _status(self) -> str:
        code = self.proc.wait()
        if code < 0:
            return f"signal {signal.Signals(-code).name}"
        return f"exit code {code}"

    def stop(self, kill: bool = False) -> int | None:
        """Close the pipes (an idle child then exits on its own); kill it first if asked. The exit status."""
        if kill and self.proc.poll() is None:
            self.proc.kill()
        self.proc.stdin.close()
        self.proc.stdout.close()
        try:
            return self.proc.wait(timeout=None if kill else 2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def forget(self) -> None:
        """In a forked copy of the owner: drop the pipes without touching the process, which is not ours."""
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass


class Pool:
    """Up to `limits.evaluators` evaluator processes with one memory limit. Threads take an idle child, or start
    one while there are fewer than the maximum, or wait for one."""

    def __init__(self, memory_mb: int, size: int):
        self.memory_mb, self.size = memory_mb, max(1, size)
        self._cond = threading.Condition()
        self._idle: list[_Child] = []
        self._count = 0  # children started and not yet stopped, idle or in use
        self._children: set[_Child] = set()  # the same, to let go of in a forked copy of this process

    def run(self, request: tuple, limits: Limits) -> Any:
        try:
            payload = _frame(_dump_data((*request, limits.time_s)))
        except (pickle.PicklingError, TypeError, ValueError, RecursionError) as err:
            raise TypeError(f"The task data cannot be handed to the evaluator: it {_what(err)}.") from None
        for attempt in (1, 2):
            child = self._take()
            keep = False
            try:
                child.wait_ready()
                try:
                    _write_all(child.wfd, payload)
                except BrokenPipeError:  # it died while idle (killed from outside): nothing ran, a fresh one takes it
                    if attempt == 1:
                        continue
                    raise self._crashed(child, limits) from None
                reply = self._receive(child, limits)
                try:
                    status, *rest = _load_data(reply)
                except (pickle.UnpicklingError, ValueError, TypeError, EOFError) as err:  # a child to distrust
                    raise sandbox.SandboxViolation(f"The evaluator process sent something that is not data: {err}")
                if status == "ok":
                    keep = True
                    return rest[0]
                names, args, line = rest
                keep = "MemoryError" not in names  # the child exits after one: its heap may be fragmented
                raise _rebuild(names, args, line, limits)
            finally:
                self._give_back(child, keep)

    def _receive(self, child: _Child, limits: Limits) -> bytes:
        try:
            return child.receive(time.monotonic() + limits.time_s)
        except _Overrun as over:
            if str(over) == "time":
                raise sandbox.ScriptTimeout(_time_message(limits)) from None
            raise sandbox.ScriptMemoryError(f"Its data is larger than {MAX_REPLY_BYTES >> 20} MiB.") from None
        except EOFError:
            raise self._crashed(child, limits) from None

    def _crashed(self, child: _Child, limits: Limits) -> Exception:
        status = child.stop(kill=True)
        if status == -signal.SIGXCPU:
            return sandbox.ScriptTimeout(_time_message(limits))
        return sandbox.EvaluatorCrashed(
            f"Its evaluator process stopped ({_describe_status(status)}); it may have needed more than its memory "
            f"limit of {limits.memory_mb} MiB.")

    def _take(self) -> _Child:
        with self._cond:
            while not self._idle and self._count >= self.size:
                self._cond.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return self._start()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _start(self) -> _Child:
        child = _Child(self.memory_mb)
        self._children.add(child)
        return child

    def _give_back(self, child: _Child, keep: bool) -> None:
        if keep:
            with self._cond:
                self._idle.append(child)
                self._cond.notify()
            return
        if child.proc.poll() is None:
            child.proc.kill()  # at once: a runaway child must not keep a core busy
        threading.Thread(target=self._replace, args=(child,), name="evaluator-replace", daemon=True).start()

    def _replace(self, child: _Child) -> None:
        """Reap a child that cannot be reused and start its successor, off the path of the script's caller."""
        child.stop(kill=True)
        self._children.discard(child)
        try:
            fresh = self._start()
        except OSError:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            return
        with self._cond:
            self._idle.append(fresh)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for child in idle:
            child.stop()
            self._children.discard(child)

    def forget(self) -> None:
        for child in self._children:
            child.forget()
        self._children, self._idle, self._count = set(), [], 0


def _time_message(limits: Limits) -> str:
    return f"It ran longer than its time limit of {limits.time_s:g} s and was stopped."


def _memory_message(limits: Limits) -> str:
    return f"It needed more than its memory limit of {limits.memory_mb} MiB and was stopped."


def _describe_status(status: int | None) -> str:
    if status is not None and status < 0:
        return f"signal {signal.Signals(-status).name}"
    return f"exit code {status}"


_SANDBOX_ERRORS = {cls.__name__: cls for cls in (sandbox.SandboxViolation, sandbox.LimitExceeded,
                                                 sandbox.ScriptTimeout, sandbox.ScriptMemoryError,
                                                 sandbox.EvaluatorCrashed)}


def _rebuild(names: tuple[str, ...], args: tuple, line: int | None, limits: Limits) -> Exception:
    """The child's exception as one of ours or a builtin one (never a class the child names freely);
    `script_error` keeps the original class name, `script_line` the line of the script it came from."""
    if "MemoryError" in names:
        err: Exception = sandbox.ScriptMemoryError(_memory_message(limits))
    else:
        cls = next((c for c in map(_exception_class, names) if c is not None), Exception)
        try:
            err = cls(*args)
        except Exception:  # noqa: BLE001 - arguments the class does not take: keep the text
            err = cls(*map(str, args))
    err.script_error = names[0] if names else type(err).__name__
    err.script_line = line
    return err


def _exception_class(name: str) -> type[Exception] | None:
    if name in _SANDBOX_ERRORS:
        return _SANDBOX_ERRORS[name]
    import builtins

    cls = getattr(builtins, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, Exception) else None


_pools: dict[int, Pool] = {}
_pools_lock = threading.Lock()


def _pool(limits: Limits) -> Pool:
    pool = _pools.get(limits.memory_mb)
    if pool is None:
        with _pools_lock:
            pool = _pools.setdefault(limits.memory_mb, Pool(limits.memory_mb, limits.evaluators))
    return pool


def shutdown() -> None:
    """Stop every evaluator process of this process (at exit; tests)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def _after_fork_in_child() -> None:
    global _pools_lock
    for pool in _pools.values():
        pool.forget()
    _pools.clear()
    _pools_lock = threading.Lock()


atexit.register(shutdown)
os.register_at_fork(after_in_child=_after_fork_in_child)


# -- the child's side ------------------------------------------------------------------------------------------

def serve(memory_mb: int) -> None:
    """The evaluator process: set the limits, answer requests until the parent closes the pipe."""
    try:
        _serve(memory_mb)
    except BrokenPipeError:  # the parent went away
        pass


def _serve(memory_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the parent; EOF ends us
    requests, replies = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)  # a stray print in library code must not corrupt the replies
    os.close(null)
    _preload()
    problem = _limit_self(memory_mb)
    _write_all(replies, _frame(_dump_data(("ready", None) if problem is None else ("error", problem))))
    if problem is not None:
        return
    memory_reply = _frame(_dump_data(("error", ("MemoryError",), (), None)))
    while True:
        payload = _read_request(requests)
        if payload is None:
            return
        try:
            mode, source, context, external, env_globals, time_limit = pickle.loads(payload)
            del payload
            _limit_cpu(time_limit)
            if mode == "eval":
                reply = _result_reply(sandbox.evaluate(source, context, external, env_globals), script=False)
            else:
                reply = _result_reply(sandbox.execute(source, context, external, env_globals), script=True)
        except MemoryError:
            _write_all(replies, memory_reply)
            return
        except Exception as err:  # noqa: BLE001 - every error of the script goes back to the parent
            reply = _error_reply(err)
        _write_all(replies, _frame(reply))


def _preload() -> None:
    """Import what scripts may import, the codecs and time zones they are likely to use, before files are closed
    off (RLIMIT_NOFILE)."""
    import codecs

    for name in sorted(sandbox.ALLOWED_MODULES):
        __import__(name)
    for encoding in ("ascii", "latin-1", "utf-16", "utf-32", "gbk", "gb18030", "gb2312", "big5", "idna"):
        codecs.lookup(encoding)
    for key in {"UTC", TIMEZONE_NAME}:
        try:
            ZoneInfo(key)
        except Exception:  # noqa: BLE001 - a missing zone fails later, where it is used
            pass


def _limit_self(memory_mb: int) -> str | None:
    in_use = _address_space_bytes()
    limit = memory_mb << 20
    if in_use >= limit * 0.8:
        return (f"the memory limit of {memory_mb} MiB leaves too little room: an idle evaluator already uses "
                f"{in_use >> 20} MiB")
    open_fds = max(fd for fd in map(int, os.listdir("/proc/self/fd")) if _is_open(fd)) + 1
    for kind, value in ((resource.RLIMIT_AS, limit), (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_CORE, 0),
                        (resource.RLIMIT_NOFILE, open_fds), (resource.RLIMIT_NPROC, 0)):
        resource.setrlimit(kind, (value, value))
    return None


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _address_space_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_cpu(seconds: float) -> None:
    """RLIMIT_CPU is cumulative: allow this request its time and a margin beyond what was used so far. It only
    matters when the parent cannot kill us (the parent is gone or stuck); SIGXCPU then ends the process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime + seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def _read_request(fd: int) -> bytes | None:
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    return _read_exactly(fd, _HEADER.unpack(header)[0])


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, missing = [], size
    while missing:
        chunk = os.read(fd, missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _result_reply(result: Any, script: bool) -> bytes:
    try:
        reply = _dump_data(("ok", result))
    except (pickle.PicklingError, TypeError, ValueError, RecursionError) as err:
        raise TypeError(_not_data_message(result, script, err)) from None
    if len(reply) > MAX_REPLY_BYTES:
        raise sandbox.ScriptMemoryError(f"Its data is larger than {MAX_REPLY_BYTES >> 20} MiB.")
    return reply


def _not_data_message(result: Any, script: bool, err: Exception) -> str:
    if isinstance(err, (RecursionError, ValueError)):  # ValueError: a cycle, in pickle's fast mode
        return "The data is nested too deeply, or refers to itself, to be kept as task data."
    if not script:
        return f"The expression's value {_what(err)}, which task data cannot hold."
    for key, value in result.items():  # which variable: only on this error path, so the common path stays fast
        try:
            _dump_data(value)
        except (pickle.PicklingError, TypeError, ValueError, RecursionError) as item_err:
            return f"Variable {key!r} {_what(item_err)}, which task data cannot hold."
    return f"The script's data {_what(err)}, which task data cannot hold."


def _what(err: Exception) -> str:
    return f"is or contains a {err} object" if isinstance(err, _NotData) else f"cannot be kept ({err})"


def _error_reply(err: Exception) -> bytes:
    names = tuple(c.__name__ for c in type(err).__mro__ if issubclass(c, BaseException))
    line = None
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename == sandbox.FILENAME:
            line = frame.lineno
    try:
        return _dump_data(("error", names, err.args, line))
    except (pickle.PicklingError, TypeError, ValueError, RecursionError):
        return _dump_data(("error", names, (str(err),), line))
