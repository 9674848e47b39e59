"""The device kinds and their commands: the parameters each takes (a JSON Schema that the client checks
before sending and the simulator checks on arrival) and the type of its result."""
from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from integrations.devices.errors import InvalidCommand
from integrations.devices.results import (
    STATE_TYPES,
    DeviceKind,
    PrintJob,
    RecordingFile,
    RecordingStarted,
    ScreenState,
    StudioState,
)

DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # it goes into URLs and MQTT topics
MAX_PDF_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Device:
    """A device as the catalogue knows it: its id at the gateway and its kind."""
    id: str
    kind: DeviceKind

    def __post_init__(self) -> None:
        if not DEVICE_ID.match(self.id):
            raise InvalidCommand(f"invalid device id {self.id!r} (letters, digits, '.', '_', '-'; up to 64)")
        object.__setattr__(self, "kind", DeviceKind(self.kind))


@dataclass(frozen=True)
class Command:
    name: str
    kinds: frozenset[DeviceKind]
    params: dict  # JSON Schema of the parameters
    result: type | None  # None: the kind's state type
    changes_state: bool = True  # False: a read, harmless to repeat

    def result_type(self, kind: DeviceKind) -> type:
        return self.result or STATE_TYPES[kind]


def _object(properties: dict | None = None, required: tuple[str, ...] = (), **extra) -> dict:
    return {"type": "object", "properties": properties or {}, "required": list(required),
            "additionalProperties": False, **extra}


_JOB_ID = {"type": "string", "pattern": r"^[A-Za-z0-9_.:-]{1,100}$"}
_STUDIO, _PRINTER, _SCREEN = (frozenset({k}) for k in (DeviceKind.STUDIO, DeviceKind.PRINTER, DeviceKind.SCREEN))

COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("status", frozenset(DeviceKind), _object(), None, changes_state=False),
    Command("power_on", _STUDIO, _object(), StudioState),
    Command("power_off", _STUDIO, _object(), StudioState),
    Command("configure", _STUDIO, _object({
        "lights": {"type": "integer", "minimum": 0, "maximum": 100},
        "cameras": {"type": "array", "items": {"type": "string", "maxLength": 40}, "uniqueItems": True,
                    "maxItems": 16},
        "preset": {"type": "string", "maxLength": 40},
    }, minProperties=1), StudioState),
    Command("start_recording", _STUDIO, _object({"title": {"type": "string", "maxLength": 200}}),
            RecordingStarted),
    Command("stop_recording", _STUDIO, _object(), RecordingFile),
    Command("print", _PRINTER, _object({
        "document": {"type": "string", "contentEncoding": "base64", "minLength": 8,
                     "maxLength": (MAX_PDF_BYTES + 2) // 3 * 4},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "title": {"type": "string", "maxLength": 200},
        "copies": {"type": "integer", "minimum": 1, "maximum": 20},
    }, required=("document", "sha256")), PrintJob),
    Command("job_status", _PRINTER, _object({"job_id": _JOB_ID}, required=("job_id",)), PrintJob,
            changes_state=False),
    Command("cancel", _PRINTER, _object({"job_id": _JOB_ID}, required=("job_id",)), PrintJob),
    Command("show", _SCREEN, {"oneOf": [
        _object({"url": {"type": "string", "pattern": r"^https?://\S+$", "maxLength": 2000}}, required=("url",)),
        _object({"text": {"type": "string", "minLength": 1, "maxLength": 2000},
                 "title": {"type": "string", "maxLength": 100}}, required=("text",)),
    ]}, ScreenState),
    Command("clear", _SCREEN, _object(), ScreenState),
)}

_VALIDATORS = {name: Draft202012Validator(c.params) for name, c in COMMANDS.items()}


def command_for(kind: DeviceKind | str, name: str) -> Command:
    command = COMMANDS.get(name)
    if command is None or DeviceKind(kind) not in command.kinds:
        raise InvalidCommand(f"a {kind} has no command {name!r}", code="unknown_command")
    return command


def check_params(command: Command, params: dict[str, Any]) -> None:
    """Raise InvalidCommand naming every problem (field path: message)."""
    problems = sorted(_VALIDATORS[command.name].iter_errors(params), key=lambda e: list(e.absolute_path))
    if problems:
        text = "; ".join(f"{'.'.join(map(str, e.absolute_path)) or 'params'}: {e.message[:200]}" for e in problems)
        raise InvalidCommand(f"invalid parameters for {command.name}: {text}", command=command.name,
                             code="invalid_params")


def print_params(pdf: bytes, title: str = "", copies: int = 1) -> dict[str, Any]:
    """The parameters of `print` for a PDF document: its bytes in base64 with their SHA-256, so the robot
    can tell a damaged transfer from the document."""
    if len(pdf) > MAX_PDF_BYTES:
        raise InvalidCommand(f"the document is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB", code="too_large")
    return {"document": base64.b64encode(pdf).decode("ascii"), "sha256": hashlib.sha256(pdf).hexdigest(),
            "title": title[:200], "copies": copies}
