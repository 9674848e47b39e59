"""Device settings read from the platform's config mapping (the DEVICE_* keys in config/settings.py),
and the client they describe."""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from integrations.devices.client import DeviceClient
from integrations.devices.policy import RetryPolicy


@dataclass(frozen=True)
class DeviceSettings:
    gateway_url: str = "http://127.0.0.1:8765"  # http(s)://gateway or mqtt(s)://broker
    token: str | None = None  # bearer token the HTTP gateway (and the simulator's control API) requires
    mqtt_prefix: str = "bpm"
    webhook_url: str | None = None  # where the gateway POSTs status events (HTTP)
    webhook_secret: str | None = None
    simulator: bool = True  # `make run` starts the simulator as the gateway
    simulator_url: str = "http://127.0.0.1:8765"  # where it listens (HTTP gateway, control API, files)
    files_url: str | None = None  # the gateway's file server; default: the HTTP gateway / the simulator
    policy: RetryPolicy = RetryPolicy()

    @property
    def transport(self) -> str:
        return "mqtt" if urlsplit(self.gateway_url).scheme in ("mqtt", "mqtts") else "http"

    @property
    def file_server(self) -> str:
        if self.files_url:
            return self.files_url
        return self.gateway_url if self.transport == "http" else self.simulator_url

    @classmethod
    def from_mapping(cls, config: Mapping) -> DeviceSettings:
        simulator_url = config.get("DEVICE_SIMULATOR_URL") or cls.simulator_url
        return cls(
            gateway_url=config.get("DEVICE_GATEWAY_URL") or simulator_url,
            token=config.get("DEVICE_GATEWAY_TOKEN") or None,
            mqtt_prefix=config.get("DEVICE_MQTT_PREFIX") or cls.mqtt_prefix,
            webhook_url=config.get("DEVICE_WEBHOOK_URL") or None,
            webhook_secret=config.get("DEVICE_WEBHOOK_SECRET") or None,
            simulator=str(config.get("DEVICE_SIMULATOR", "on")).lower() in ("1", "on", "true", "yes"),
            simulator_url=simulator_url,
            files_url=config.get("DEVICE_FILES_URL") or None,
            policy=RetryPolicy(
                max_attempts=int(config.get("DEVICE_MAX_ATTEMPTS", 4)),
                backoff_base_s=float(config.get("DEVICE_BACKOFF_BASE_S", 0.2)),
                backoff_max_s=float(config.get("DEVICE_BACKOFF_MAX_S", 2.0)),
                attempt_timeout_s=float(config.get("DEVICE_ATTEMPT_TIMEOUT_S", 3.0)),
                call_timeout_s=float(config.get("DEVICE_CALL_TIMEOUT_S", 10.0)),
            ),
        )


def connect(settings: DeviceSettings) -> DeviceClient:
    """A new client for the configured gateway; close it when done (or use it as a context manager)."""
    if settings.transport == "mqtt":
        from integrations.devices.mqtt_client import MqttDeviceClient

        return MqttDeviceClient(settings.gateway_url, settings.mqtt_prefix, settings.policy)
    from integrations.devices.http_client import HttpDeviceClient

    return HttpDeviceClient(settings.gateway_url, settings.token, settings.policy)


_shared: dict[tuple[int, DeviceSettings], DeviceClient] = {}
_shared_lock = threading.Lock()


def shared_client(settings: DeviceSettings) -> DeviceClient:
    """One client per process and settings, kept open (pooled HTTP connections, one MQTT session). A
    forked worker gets its own: connections and threads do not survive a fork."""
    key = (os.getpid(), settings)
    with _shared_lock:
        client = _shared.get(key)
        if client is None:
            client = _shared[key] = connect(settings)
        return client
