"""The one device client interface. An adapter (HTTP, MQTT) only moves one request and its answer;
checking the command, the idempotency key, retries, deadlines and typed results happen here, the same
for every transport."""
from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from typing import Any

from integrations.devices.commands import Device, check_params, command_for
from integrations.devices.errors import DeviceError, DeviceFault, DeviceTimeout, InvalidCommand
from integrations.devices.policy import RetryPolicy
from integrations.devices.protocol import MAX_KEY_LENGTH, interpret
from integrations.devices.results import DeviceResult


class DeviceClient(ABC):
    transport: str = ""

    def __init__(self, policy: RetryPolicy | None = None):
        self.policy = policy or RetryPolicy()

    def call(self, device: Device, command: str, params: dict[str, Any] | None = None,
             idempotency_key: str | None = None, timeout: float | None = None) -> DeviceResult:
        """Send `command` to `device` and return its typed result, retrying what is safe to retry.

        `idempotency_key` makes the call safe to repeat: the gateway runs a key once and answers every
        repeat with the first result (`replayed`). Pass a key that stays the same when the whole call is
        repeated (a job's retry after a crash): `f"{ctx.idempotency_key}:start_recording"`. Without one,
        a command that changes state gets a fresh key, which covers the retries inside this call.
        `timeout` bounds the whole call, waits included (default: the policy's call_timeout_s).
        Raises DeviceUnreachable, DeviceTimeout, DeviceFault (retryable) or DeviceRejected (not).
        """
        spec = command_for(device.kind, command)
        params = dict(params or {})
        check_params(spec, params)
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
            raise InvalidCommand(f"the idempotency key must have 1 to {MAX_KEY_LENGTH} characters")
        key = idempotency_key or (uuid.uuid4().hex if spec.changes_state else None)
        budget = self.policy.call_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + budget
        attempts = 0
        try:
            for attempt in self.policy.retrying(budget):
                with attempt:
                    attempts += 1
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise DeviceTimeout(f"no answer within the call's {budget:g} s")
                    status, body = self._exchange(device, command, params, key,
                                                  min(self.policy.attempt_timeout_s, remaining))
                    result, replayed = interpret(status, body)
        except DeviceError as err:
            err.device_id, err.command, err.attempts = device.id, command, attempts
            raise
        try:
            value = spec.result_type(device.kind).from_json(result)
        except (TypeError, ValueError, KeyError) as err:
            raise DeviceFault(f"unreadable answer from the gateway: {err}", device_id=device.id, command=command,
                              code="bad_answer", attempts=attempts) from err
        return DeviceResult(device.id, command, value, key, replayed, attempts)

    @abstractmethod
    def _exchange(self, device: Device, command: str, params: dict[str, Any], key: str | None,
                  timeout: float) -> tuple[int, dict[str, Any]]:
        """Send one request and wait up to `timeout` s for its answer: (status, body). Raise
        DeviceUnreachable or DeviceTimeout when there is no answer."""

    def close(self) -> None:
        """Release connections."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
