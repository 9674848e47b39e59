"""The simulated devices: what each does with a command and what it remembers. A device is used under
its own lock (the gateway holds it for a command, the clock for a print job's next step), so its state
changes one at a time, as on a real controller."""
from __future__ import annotations

import base64
import binascii
import hashlib
import math
import threading
import uuid
import wave
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from integrations.devices.results import DeviceKind, PrintJobStatus


class Refused(Exception):
    """The device says no: answered with `status` and an error code."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Env(Protocol):
    files_dir: Path

    def emit(self, device: SimDevice, type_: str, data: dict[str, Any]) -> None: ...
    def call_later(self, delay: float, fn: Callable[[], None]) -> None: ...
    def file_url(self, name: str) -> str: ...


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Stored:
    """What the device answered the first time it saw an idempotency key."""
    fingerprint: str
    result: dict[str, Any]


class SimDevice:
    kind: DeviceKind
    KEYS_KEPT = 10_000

    def __init__(self, device_id: str, env: Env):
        self.id = device_id
        self.env = env
        self.lock = threading.RLock()
        self.keys: OrderedDict[str, Stored] = OrderedDict()
        self.executed: Counter[str] = Counter()  # commands carried out (replays not counted)
        self.replayed = 0

    def execute(self, command: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, f"do_{command}", None)
        if handler is None:
            raise Refused(404, "unknown_command", f"a {self.kind} has no command {command!r}")
        return handler(**params)

    def remember(self, key: str, stored: Stored) -> None:
        self.keys[key] = stored
        if len(self.keys) > self.KEYS_KEPT:
            self.keys.popitem(last=False)

    def do_status(self) -> dict[str, Any]:
        return self.state()

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def inspect(self) -> dict[str, Any]:
        """Everything the simulator remembers about the device (the control API's view)."""
        return {"id": self.id, "kind": self.kind.value, "state": self.state(), "executed": dict(self.executed),
                "replayed": self.replayed, "keys": len(self.keys)}

    def adjust(self, settings: dict[str, Any]) -> None:
        if settings:
            raise Refused(422, "unknown_setting", f"a {self.kind} has no settings {sorted(settings)}")


class Studio(SimDevice):
    kind = DeviceKind.STUDIO
    CAMERAS = ("main", "wide", "slides")
    PRESETS = ("interview", "lecture", "podcast")
    SAMPLE_RATE = 4000  # the recording file is a WAV tone as long as the recording (capped)
    MAX_FILE_SECONDS = 600

    def __init__(self, device_id: str, env: Env):
        super().__init__(device_id, env)
        self.powered = False
        self.lights = 0
        self.cameras: tuple[str, ...] = ()
        self.preset: str | None = None
        self.recording: dict[str, Any] | None = None
        self.recordings: list[dict[str, Any]] = []

    def state(self) -> dict[str, Any]:
        return {"powered": self.powered, "lights": self.lights, "cameras": list(self.cameras),
                "preset": self.preset, "recording_id": self.recording["recording_id"] if self.recording else None,
                "available_cameras": list(self.CAMERAS), "available_presets": list(self.PRESETS)}

    def inspect(self) -> dict[str, Any]:
        return super().inspect() | {"recording": self.recording, "recordings": list(self.recordings)}

    def do_power_on(self) -> dict[str, Any]:
        if not self.powered:
            self.powered = True
            self.env.emit(self, "power", {"powered": True})
        return self.state()

    def do_power_off(self) -> dict[str, Any]:
        if self.recording:
            raise Refused(409, "recording", "stop the recording before powering off")
        if self.powered:
            self.powered, self.lights, self.cameras = False, 0, ()
            self.env.emit(self, "power", {"powered": False})
        return self.state()

    def do_configure(self, lights: int | None = None, cameras: list[str] | None = None,
                     preset: str | None = None) -> dict[str, Any]:
        self._require_power()
        unknown = sorted(set(cameras or ()) - set(self.CAMERAS))
        if unknown:
            raise Refused(422, "unknown_camera", f"no camera {', '.join(unknown)} (has {', '.join(self.CAMERAS)})")
        if preset is not None and preset not in self.PRESETS:
            raise Refused(422, "unknown_preset", f"no preset {preset!r} (has {', '.join(self.PRESETS)})")
        if lights is not None:
            self.lights = lights
        if cameras is not None:
            self.cameras = tuple(cameras)
        if preset is not None:
            self.preset = preset
        self.env.emit(self, "configured", {"lights": self.lights, "cameras": list(self.cameras),
                                           "preset": self.preset})
        return self.state()

    def do_start_recording(self, title: str = "") -> dict[str, Any]:
        self._require_power()
        if self.recording:
            raise Refused(409, "already_recording", f"already recording {self.recording['recording_id']}")
        self.recording = {"recording_id": f"rec-{uuid.uuid4().hex[:12]}", "title": title,
                          "started_at": now().isoformat()}
        self.env.emit(self, "recording_started", dict(self.recording))
        return {"recording_id": self.recording["recording_id"], "started_at": self.recording["started_at"]}

    def do_stop_recording(self) -> dict[str, Any]:
        if not self.recording:
            raise Refused(409, "not_recording", "no recording in progress")
        started = datetime.fromisoformat(self.recording["started_at"])
        stopped = now()
        name = f"{self.recording['recording_id']}.wav"
        data = self._tone((stopped - started).total_seconds())
        path = self.env.files_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        made = {"recording_id": self.recording["recording_id"], "name": name, "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(), "url": self.env.file_url(name),
                "content_type": "audio/wav", "started_at": started.isoformat(), "stopped_at": stopped.isoformat()}
        self.recordings.append(made | {"title": self.recording["title"]})
        self.recording = None
        self.env.emit(self, "recording_stopped", made)
        return made

    def _require_power(self) -> None:
        if not self.powered:
            raise Refused(409, "not_powered", "the studio is powered off")

    @classmethod
    def _tone(cls, seconds: float) -> bytes:
        period = bytes(128 + round(60 * math.sin(2 * math.pi * k / 10)) for k in range(10))  # 400 Hz
        frames = max(cls.SAMPLE_RATE // 10, round(min(seconds, cls.MAX_FILE_SECONDS) * cls.SAMPLE_RATE))
        out = BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(1)
            wav.setframerate(cls.SAMPLE_RATE)
            wav.writeframes(period * (frames // len(period)))
        return out.getvalue()


def count_pages(pdf: bytes) -> int:
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        pages = int(PdfFileReader(BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
    except (PdfReadError, KeyError, TypeError, ValueError) as err:
        raise Refused(422, "not_a_pdf", f"the document is not a readable PDF ({err})") from err
    if pages < 1:
        raise Refused(422, "not_a_pdf", "the document has no pages")
    return pages


class PrintRobot(SimDevice):
    """Prints one job at a time, in order: queued -> printing -> done, one sheet per page and copy every
    `page_s`. Without paper the job waits as out_of_paper until paper is loaded (control API); a jam
    (`jam_next`) ends the job in error."""
    kind = DeviceKind.PRINTER

    def __init__(self, device_id: str, env: Env, paper: int = 500, queue_s: float = 0.5, page_s: float = 1.0):
        super().__init__(device_id, env)
        self.paper, self.queue_s, self.page_s = paper, queue_s, page_s
        self.jam_next = False
        self.jobs: dict[str, dict[str, Any]] = {}
        self.waiting: deque[str] = deque()
        self.current: str | None = None
        self._start_token: object | None = None  # the pending start of the next job; None: none pending
        self._start_token: object | None = None  # the pending start of the next job; None: none pending

    def state(self) -> dict[str, Any]:
        job = self.jobs.get(self.current) if self.current else None
        state = "idle" if job is None else ("out_of_paper" if job["status"] == PrintJobStatus.OUT_OF_PAPER
                                            else "printing")
        return {"state": state, "paper": self.paper, "current_job": self.current, "waiting": len(self.waiting)}

    def inspect(self) -> dict[str, Any]:
        return super().inspect() | {"settings": {"paper": self.paper, "queue_s": self.queue_s,
                                                 "page_s": self.page_s, "jam_next": self.jam_next},
                                    "jobs": [dict(job) for job in self.jobs.values()]}

    def adjust(self, settings: dict[str, Any]) -> None:
        numbers = {"paper": int, "queue_s": float, "page_s": float}
        unknown = sorted(set(settings) - set(numbers) - {"jam_next"})
        if unknown:
            raise Refused(422, "unknown_setting", f"a printer has no settings {unknown}")
        try:
            for name, kind in numbers.items():
                if name in settings and (value := kind(settings[name])) >= 0:
                    setattr(self, name, value)
                elif name in settings:
                    raise ValueError(f"{name} must not be negative")
        except (TypeError, ValueError) as err:
            raise Refused(422, "invalid_setting", str(err)) from err
        if "jam_next" in settings:
            self.jam_next = bool(settings["jam_next"])
        if "queue_s" in settings:
            self._schedule_start(reset=True)
        job = self.jobs.get(self.current) if self.current else None
        if job and job["status"] == PrintJobStatus.OUT_OF_PAPER and self.paper > 0:
            self._set(job, PrintJobStatus.PRINTING)
            self._next_page(job["job_id"])

    def do_print(self, document: str, sha256: str, title: str = "", copies: int = 1) -> dict[str, Any]:
        try:
            pdf = base64.b64decode(document, validate=True)
        except (binascii.Error, ValueError) as err:
            raise Refused(422, "bad_document", "the document is not valid base64") from err
        if hashlib.sha256(pdf).hexdigest() != sha256:
            raise Refused(422, "checksum_mismatch", "the document does not match its checksum")
        job = {"job_id": f"job-{uuid.uuid4().hex[:12]}", "status": PrintJobStatus.QUEUED.value, "title": title,
               "pages": count_pages(pdf), "copies": copies, "printed": 0, "error": None, "history": []}
        self.jobs[job["job_id"]] = job
        self.waiting.append(job["job_id"])
        self._set(job, PrintJobStatus.QUEUED)
        self._schedule_start()
        return self._public(job)

    def do_job_status(self, job_id: str) -> dict[str, Any]:
        return self._public(self._job(job_id))

    def do_cancel(self, job_id: str) -> dict[str, Any]:
        job = self._job(job_id)
        if PrintJobStatus(job["status"]).final:
            raise Refused(409, "job_finished", f"the job is already {job['status']}")
        if job_id in self.waiting:
            self.waiting.remove(job_id)
        self._set(job, PrintJobStatus.CANCELLED)
        if self.current == job_id:
            self.current = None
        self._schedule_start()
        return self._public(job)

    def _job(self, job_id: str) -> dict[str, Any]:
        job = self.jobs.get(job_id)
        if job is None:
            raise Refused(404, "unknown_job", f"no print job {job_id}")
        return job

    @staticmethod
    def _public(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if k != "history"}

    def _set(self, job: dict[str, Any], status: PrintJobStatus, error: str | None = None) -> None:
        job["status"], job["error"] = status.value, error
        job["history"].append({"status": status.value, "at": now().isoformat()})
        self.env.emit(self, "print_job", self._public(job))

    def _schedule_start(self, reset: bool = False) -> None:
        """Start the next job queue_s from now, unless a start is pending already (`reset`: reschedule)."""
        if self.current is not None or not self.waiting:
            self._start_token = None
        elif reset or self._start_token is None:
            token = self._start_token = object()
            self.env.call_later(self.queue_s, lambda: self._start_next(token))

    def _start_next(self, token: object) -> None:
        with self.lock:
            if token is not self._start_token:
                return  # rescheduled, or nothing to start any more
            self._start_token = None
            job = self.jobs[self.waiting.popleft()]
            self.current = job["job_id"]
            self._set(job, PrintJobStatus.PRINTING)
            self._next_page(job["job_id"])

    def _next_page(self, job_id: str) -> None:
        self.env.call_later(self.page_s, lambda: self._print_page(job_id))

    def _print_page(self, job_id: str) -> None:
        with self.lock:
            job = self.jobs[job_id]
            if self.current != job_id or job["status"] != PrintJobStatus.PRINTING:
                return  # cancelled meanwhile
            if self.jam_next:
                self.jam_next = False
                self._finish(job, PrintJobStatus.ERROR, "paper jam")
            elif self.paper <= 0:
                self._set(job, PrintJobStatus.OUT_OF_PAPER)  # resumes when paper is loaded (adjust)
            else:
                self.paper -= 1
                job["printed"] += 1
                if job["printed"] >= job["pages"] * job["copies"]:
                    self._finish(job, PrintJobStatus.DONE)
                else:
                    self._next_page(job_id)

    def _finish(self, job: dict[str, Any], status: PrintJobStatus, error: str | None = None) -> None:
        self._set(job, status, error)
        self.current = None
        self._schedule_start()


class Screen(SimDevice):
    kind = DeviceKind.SCREEN
    HISTORY = 50

    def __init__(self, device_id: str, env: Env):
        super().__init__(device_id, env)
        self.content: dict[str, Any] = {"showing": None}
        self.history: deque[dict[str, Any]] = deque(maxlen=self.HISTORY)

    def state(self) -> dict[str, Any]:
        return dict(self.content)

    def inspect(self) -> dict[str, Any]:
        return super().inspect() | {"history": list(self.history)}

    def do_show(self, url: str | None = None, text: str | None = None, title: str | None = None) -> dict[str, Any]:
        showing = "url" if url else "text"
        return self._display({"showing": showing, "url": url, "text": text, "title": title,
                              "since": now().isoformat()})

    def do_clear(self) -> dict[str, Any]:
        return self._display({"showing": None, "since": now().isoformat()})

    def _display(self, content: dict[str, Any]) -> dict[str, Any]:
        self.content = content
        self.history.append(content)
        self.env.emit(self, "screen", dict(content))
        return self.state()


DEVICE_TYPES: dict[DeviceKind, type[SimDevice]] = {
    DeviceKind.STUDIO: Studio, DeviceKind.PRINTER: PrintRobot, DeviceKind.SCREEN: Screen,
}
