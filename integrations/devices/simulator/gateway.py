"""The simulated gateway: the devices it fronts, the faults switched on for them, idempotency keys and
status events. Both transports (HTTP, MQTT) hand a request to `dispatch` and send what it returns."""
from __future__ import annotations

import hashlib
import itertools
import json
import threading
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from integrations.devices.commands import DEVICE_ID, check_params, command_for
from integrations.devices.errors import InvalidCommand
from integrations.devices.protocol import error_body, ok_body
from integrations.devices.results import DeviceKind
from integrations.devices.simulator.clock import Clock
from integrations.devices.simulator.models import DEVICE_TYPES, Refused, SimDevice, Stored, now

FAULT_MODES = {
    "timeout": "carries the command out, then never answers (the answer is lost)",
    "error": "answers 500 without doing anything",
    "slow": "waits delay_s, then carries the command out and answers",
    "drop": "drops the request unanswered, without doing anything",
    "duplicate": "receives every request, and sends every event, twice",
}
DEFAULT_DEVICES = {"studio-1": "studio", "studio-2": "studio", "printer-1": "printer", "printer-2": "printer",
                   "screen-1": "screen"}


@dataclass
class Fault:
    mode: str
    count: int | None = None  # requests it still affects; None: until cleared
    delay_s: float = 30.0  # slow: the wait; timeout: how long the request is held before the connection closes


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]


class EventSink(Protocol):
    def deliver(self, event: dict[str, Any], copies: int) -> None: ...


@dataclass(frozen=True)
class PrinterDefaults:
    paper: int = 500
    queue_s: float = 0.5
    page_s: float = 1.0


class Gateway:
    EVENTS_KEPT = 2000

    def __init__(self, files_dir: Path, public_url: str, printer: PrinterDefaults = PrinterDefaults()):
        self.files_dir = files_dir
        self.public_url = public_url.rstrip("/")
        self.printer = printer
        self.devices: dict[str, SimDevice] = {}
        self.faults: dict[str, Fault] = {}
        self.sinks: list[EventSink] = []
        self.stopping = threading.Event()
        self._clock = Clock()
        self._lock = threading.Lock()  # devices and faults tables
        self._seq = itertools.count(1)
        self._events: deque[dict[str, Any]] = deque(maxlen=self.EVENTS_KEPT)
        self._duplicates = ThreadPoolExecutor(4, thread_name_prefix="sim-duplicate")

    # -- what the devices use (models.Env)
    def emit(self, device: SimDevice, type_: str, data: dict[str, Any]) -> None:
        event = {"event_id": uuid.uuid4().hex, "device_id": device.id, "kind": device.kind.value, "type": type_,
                 "seq": next(self._seq), "at": now().isoformat(), "data": data}
        self._events.append(event)
        fault = self.faults.get(device.id)
        copies = 2 if fault is not None and fault.mode == "duplicate" else 1
        for sink in self.sinks:
            sink.deliver(event, copies)

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        self._clock.call_later(delay, fn)

    def file_url(self, name: str) -> str:
        return f"{self.public_url}/files/{name}"

    # -- requests
    def dispatch(self, device_id: str, command: str, params: Any, key: str | None) -> list[Reply]:
        """The answers to send: none when the request is dropped or its answer lost, two for a duplicate."""
        fault = self._take_fault(device_id)
        mode = fault.mode if fault else None
        if mode == "drop":
            return []
        if mode == "error":
            return [Reply(500, error_body("device_fault", "simulated device fault"))]
        if mode == "slow":
            self.stopping.wait(fault.delay_s)
        if mode == "duplicate":
            second = self._duplicates.submit(self.run, device_id, command, params, key)
            return [self.run(device_id, command, params, key), second.result()]
        reply = self.run(device_id, command, params, key)
        if mode == "timeout":
            self.stopping.wait(fault.delay_s)
            return []
        return [reply]

    def run(self, device_id: str, command: str, params: Any, key: str | None) -> Reply:
        """Carry one request out (or replay the answer to its idempotency key)."""
        device = self.devices.get(device_id)
        if device is None:
            return Reply(404, error_body("unknown_device", f"no device {device_id}"))
        if not isinstance(params, dict):
            return Reply(400, error_body("bad_request", "the parameters must be a JSON object"))
        try:
            check_params(command_for(device.kind, command), params)
        except InvalidCommand as err:
            status = 404 if err.code == "unknown_command" else 422
            return Reply(status, error_body(err.code or "invalid_params", err.message))
        fingerprint = hashlib.sha256(json.dumps([command, params], sort_keys=True).encode()).hexdigest()
        with device.lock:
            stored = device.keys.get(key) if key else None
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    return Reply(422, error_body("key_reused", "this idempotency key was used for another request"))
                device.replayed += 1
                return Reply(200, ok_body(stored.result, replayed=True))
            try:
                result = device.execute(command, params)
            except Refused as refused:  # nothing happened: a repeat with the same key tries again
                return Reply(refused.status, error_body(refused.code, refused.message))
            device.executed[command] += 1
            if key:
                device.remember(key, Stored(fingerprint, result))
            return Reply(200, ok_body(result))

    # -- control
    def add_device(self, device_id: str, kind: str) -> SimDevice:
        if not DEVICE_ID.match(device_id):
            raise Refused(422, "invalid_device_id", f"invalid device id {device_id!r}")
        try:
            kind = DeviceKind(kind)
        except ValueError:
            raise Refused(422, "unknown_kind", f"unknown kind {kind!r} ({', '.join(DeviceKind)})") from None
        extra = asdict(self.printer) if kind is DeviceKind.PRINTER else {}
        device = DEVICE_TYPES[kind](device_id, self, **extra)
        with self._lock:
            self.devices[device_id] = device
            self.faults.pop(device_id, None)
        return device

    def remove_device(self, device_id: str) -> bool:
        with self._lock:
            self.faults.pop(device_id, None)
            return self.devices.pop(device_id, None) is not None

    def device(self, device_id: str) -> SimDevice:
        device = self.devices.get(device_id)
        if device is None:
            raise Refused(404, "unknown_device", f"no device {device_id}")
        return device

    def set_fault(self, device_id: str, spec: dict[str, Any]) -> Fault:
        self.device(device_id)
        mode = spec.get("mode")
        if mode not in FAULT_MODES:
            raise Refused(422, "unknown_fault", f"mode must be one of {', '.join(FAULT_MODES)}")
        count, delay = spec.get("count"), spec.get("delay_s", 30.0)
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise Refused(422, "invalid_fault", "count must be a positive integer or null")
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 600:
            raise Refused(422, "invalid_fault", "delay_s must be a number from 0 to 600")
        fault = Fault(mode, count, float(delay))
        with self._lock:
            self.faults[device_id] = fault
        return fault

    def clear_fault(self, device_id: str) -> None:
        self.device(device_id)
        with self._lock:
            self.faults.pop(device_id, None)

    def adjust(self, device_id: str, settings: Any) -> None:
        device = self.device(device_id)
        if not isinstance(settings, dict):
            raise Refused(400, "bad_request", "settings must be a JSON object")
        with device.lock:
            device.adjust(settings)

    def inspect(self, device_id: str) -> dict[str, Any]:
        device = self.device(device_id)
        with device.lock:
            fault = self.faults.get(device_id)
            return device.inspect() | {"fault": asdict(fault) if fault else None}

    def events(self, after: int = 0, device_id: str | None = None) -> list[dict[str, Any]]:
        return [e for e in list(self._events)
                if e["seq"] > after and (device_id is None or e["device_id"] == device_id)]

    def stop(self) -> None:
        self.stopping.set()
        self._clock.stop()
        self._duplicates.shutdown(wait=False, cancel_futures=True)

    def _take_fault(self, device_id: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(device_id)
            if fault is None:
                return None
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    del self.faults[device_id]
            return fault


def make_gateway(files_dir: Path, public_url: str, devices: dict[str, str] | None = None,
                 printer: PrinterDefaults = PrinterDefaults()) -> Gateway:
    gateway = Gateway(files_dir, public_url, printer)
    for device_id, kind in (DEFAULT_DEVICES if devices is None else devices).items():
        gateway.add_device(device_id, kind)
    return gateway

