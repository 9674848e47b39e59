"""The gateway protocol both adapters speak and the simulator serves. One request/answer shape:

    request:  command + device id (HTTP path / MQTT topic), params (JSON body / payload),
              idempotency key (HTTP header / MQTT user property)
    answer:   a status (HTTP status / "status" in the MQTT payload) and a JSON body,
              {"result": {...}, "replayed": bool} or {"error": {"code": "...", "message": "..."}}

Status codes mean the same on both transports, so one function turns an answer into a result or a
typed error.
"""
from __future__ import annotations

from typing import Any

from integrations.devices.errors import DeviceError, DeviceFault, DeviceRejected

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PROPERTY = "idempotency-key"  # MQTT 5 user property
MAX_KEY_LENGTH = 200


def command_path(device_id: str, command: str) -> str:
    return f"/devices/{device_id}/commands/{command}"


def command_topic(prefix: str, device_id: str, command: str) -> str:
    return f"{prefix}/devices/{device_id}/commands/{command}"


def events_topic(prefix: str, device_id: str = "+") -> str:
    return f"{prefix}/devices/{device_id}/events"


def presence_topic(prefix: str) -> str:
    """Retained "1" while the gateway is connected, "0" (its MQTT will) once it is gone."""
    return f"{prefix}/gateway/online"


def ok_body(result: dict[str, Any], replayed: bool = False) -> dict[str, Any]:
    return {"result": result, "replayed": replayed}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def interpret(status: int, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(result, replayed) for a success; the typed error otherwise."""
    if 200 <= status < 300 and isinstance(body.get("result"), dict):
        return body["result"], bool(body.get("replayed"))
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = str(error.get("code") or f"http_{status}")
    message = str(error.get("message") or f"the gateway answered {status}")[:500]
    cls: type[DeviceError]
    if status in (408, 429) or status >= 500:
        cls = DeviceFault
    elif 400 <= status < 500:
        cls = DeviceRejected
    else:
        cls, message = DeviceFault, f"unexpected answer (status {status})"
    raise cls(message, code=code)
