"""Typed results of device commands and the status events devices push. Each type reads the gateway's
JSON (`from_json`) and writes plain JSON (`to_json`) that a service task can merge into its task data."""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar


class DeviceKind(StrEnum):
    STUDIO = "studio"    # 录播间 controller: power, lights, cameras, preset, recording
    PRINTER = "printer"  # 自助打印机器人: print jobs
    SCREEN = "screen"    # 大屏: shows a page or an announcement


class PrintJobStatus(StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"
    OUT_OF_PAPER = "out_of_paper"  # waits for paper, then prints on
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (PrintJobStatus.DONE, PrintJobStatus.ERROR, PrintJobStatus.CANCELLED)


class _Json:
    """Reads a dataclass from JSON by its type hints (str, int, float, bool, datetime, enums, tuples,
    nested dataclasses, optionals); writes it back with ISO dates."""

    @classmethod
    def from_json(cls, data: dict[str, Any]):
        hints = typing.get_type_hints(cls)
        values = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                values[f.name] = _convert(hints[f.name], data[f.name])
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _convert(hint, value):
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(inner[0], value)
    if origin is tuple:
        return tuple(_convert(typing.get_args(hint)[0], v) for v in value)
    if origin is dict or hint is dict:
        return dict(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, _Json):
        return hint.from_json(value)
    if isinstance(hint, type) and issubclass(hint, (StrEnum, bool, int, float, str)):
        return hint(value)
    return value


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, _Json):
        return value.to_json()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


@dataclass(frozen=True)
class StudioState(_Json):
    powered: bool
    lights: int = 0  # percent
    cameras: tuple[str, ...] = ()  # cameras switched on
    preset: str | None = None
    recording_id: str | None = None  # the recording in progress
    available_cameras: tuple[str, ...] = ()
    available_presets: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordingStarted(_Json):
    recording_id: str
    started_at: datetime


@dataclass(frozen=True)
class RecordingFile(_Json):
    """What `stop_recording` made: fetch it from `url` and check `size` and `sha256` (see files.py)."""
    recording_id: str
    name: str
    size: int
    sha256: str
    url: str
    content_type: str
    started_at: datetime
    stopped_at: datetime


@dataclass(frozen=True)
class PrintJob(_Json):
    job_id: str
    status: PrintJobStatus
    title: str = ""
    pages: int = 0  # pages of the document
    copies: int = 1
    printed: int = 0  # sheets printed so far
    error: str | None = None


@dataclass(frozen=True)
class PrinterState(_Json):
    state: str  # idle | printing | out_of_paper
    paper: int  # sheets left
    current_job: str | None = None
    waiting: int = 0  # jobs queued behind the current one


@dataclass(frozen=True)
class ScreenState(_Json):
    showing: str | None  # "url" | "text" | None (blank)
    url: str | None = None
    text: str | None = None
    title: str | None = None
    since: datetime | None = None


STATE_TYPES: dict[DeviceKind, type[_Json]] = {
    DeviceKind.STUDIO: StudioState, DeviceKind.PRINTER: PrinterState, DeviceKind.SCREEN: ScreenState,
}

T = TypeVar("T")


@dataclass(frozen=True)
class DeviceResult(Generic[T]):
    device_id: str
    command: str
    value: T
    idempotency_key: str | None
    replayed: bool  # the gateway had run this key before: this is that first run's result, nothing done twice
    attempts: int

    def to_json(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "command": self.command, "value": _plain(self.value),
                "idempotency_key": self.idempotency_key, "replayed": self.replayed, "attempts": self.attempts}


@dataclass(frozen=True)
class DeviceEvent(_Json):
    """A status change a device pushed (MQTT topic or signed webhook). `event_id` is unique per change:
    the same event may arrive twice (QoS 1, webhook retries), so consumers apply it idempotently."""
    TYPES: ClassVar[tuple[str, ...]] = ("power", "configured", "recording_started", "recording_stopped",
                                        "print_job", "screen")
    event_id: str
    device_id: str
    kind: DeviceKind
    type: str
    seq: int  # per gateway, increasing: order of changes
    at: datetime
    data: dict = field(default_factory=dict)

    @property
    def print_job(self) -> PrintJob | None:
        return PrintJob.from_json(self.data) if self.type == "print_job" else None

    @property
    def recording(self) -> RecordingFile | None:
        return RecordingFile.from_json(self.data) if self.type == "recording_stopped" else None
