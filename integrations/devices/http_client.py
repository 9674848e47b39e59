"""HTTP adapter: `POST {gateway}/devices/{id}/commands/{command}` with the parameters as JSON, the
idempotency key in a header and the gateway token as a bearer token. One pooled connection set per
client (httpx); each attempt has its own timeout, cut to what is left of the call."""
from __future__ import annotations

import uuid
from typing import Any

import httpx

from integrations.devices.client import DeviceClient
from integrations.devices.commands import Device
from integrations.devices.errors import DeviceTimeout, DeviceUnreachable
from integrations.devices.policy import RetryPolicy
from integrations.devices.protocol import IDEMPOTENCY_HEADER, command_path

CONNECT_TIMEOUT_S = 2.0


class HttpDeviceClient(DeviceClient):
    transport = "http"

    def __init__(self, base_url: str, token: str | None = None, policy: RetryPolicy | None = None,
                 verify: bool | str = True):
        super().__init__(policy)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, verify=verify,
                                  limits=httpx.Limits(max_connections=32, max_keepalive_connections=8))

    def _exchange(self, device: Device, command: str, params: dict[str, Any], key: str | None,
                  timeout: float) -> tuple[int, dict[str, Any]]:
        headers = {"X-Request-Id": uuid.uuid4().hex}
        if key:
            headers[IDEMPOTENCY_HEADER] = key
        try:
            response = self._http.post(command_path(device.id, command), json=params, headers=headers,
                                       timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_S)))
        except (httpx.ConnectError, httpx.ConnectTimeout) as err:
            raise DeviceUnreachable(f"cannot connect to the gateway: {err}", code="unreachable") from err
        except httpx.TimeoutException as err:
            raise DeviceTimeout(f"no answer within {timeout:.2g} s", code="timeout") from err
        except httpx.TransportError as err:  # connection dropped without an answer
            raise DeviceUnreachable(f"the connection broke without an answer: {err}", code="dropped") from err
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}

    def close(self) -> None:
        self._http.close()
