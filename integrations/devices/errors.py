"""Typed errors of a device call. `retryable` tells the caller (the engine's job layer) whether trying
again can help: an unreachable, silent or failing device may recover; a device that said no will say no
again until someone changes something (its state, the parameters, the configuration)."""
from __future__ import annotations

from typing import ClassVar


class DeviceError(Exception):
    retryable: ClassVar[bool] = True

    def __init__(self, message: str, *, device_id: str | None = None, command: str | None = None,
                 code: str | None = None, attempts: int = 1):
        super().__init__(message)
        self.message = message
        self.device_id = device_id
        self.command = command
        self.code = code  # the gateway's error code (e.g. "not_powered"), when it gave one
        self.attempts = attempts

    def __str__(self) -> str:
        where = f"{self.device_id} {self.command}: " if self.device_id and self.command else ""
        tries = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return f"{where}{self.message}{tries}"


class DeviceUnreachable(DeviceError):
    """No connection to the gateway or the device (refused, broken, gateway offline). The request may or
    may not have arrived; a retry with the same idempotency key is safe."""


class DeviceTimeout(DeviceError):
    """The request went out and no answer came in time. Whether the device acted is unknown; a retry with
    the same idempotency key returns the first result if it did."""


class DeviceFault(DeviceError):
    """The gateway or the device answered with a failure of its own (HTTP 5xx, busy)."""


class DeviceRejected(DeviceError):
    """The device answered and refused: unknown device or command, invalid parameters, a state that does
    not allow the command (not powered, already recording), or not authorised. Retrying cannot help."""

    retryable = False


class InvalidCommand(DeviceRejected):
    """Refused before sending: the command does not exist for this kind of device or its parameters are
    invalid."""
