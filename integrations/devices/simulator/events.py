"""Where the simulated gateway sends status events: an MQTT topic per device (QoS 1) and a webhook
(signed POSTs from one background thread, retried with backoff while the receiver fails)."""
from __future__ import annotations

import json
import logging
import queue
import random
import threading
from typing import Any

import httpx

from integrations.devices.mqtt_link import MqttLink
from integrations.devices.protocol import events_topic
from integrations.devices.webhook import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)


class MqttEventSink:
    def __init__(self, link: MqttLink, prefix: str):
        self.link, self.prefix = link, prefix

    def deliver(self, event: dict[str, Any], copies: int) -> None:
        payload = json.dumps(event).encode()
        for _ in range(copies):
            self.link.client.publish(events_topic(self.prefix, event["device_id"]), payload, qos=1)


class WebhookSink:
    ATTEMPTS = 6
    BACKOFF_S = 0.5

    def __init__(self, url: str, secret: str, timeout_s: float = 5.0):
        self.url, self.secret, self.timeout_s = url, secret, timeout_s
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=10_000)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-webhook", daemon=True)
        self._thread.start()
        self.delivered = 0
        self.failed = 0

    def deliver(self, event: dict[str, Any], copies: int) -> None:
        body = json.dumps(event).encode()
        for _ in range(copies):
            try:
                self._queue.put_nowait(body)
            except queue.Full:
                self.failed += 1
                log.warning("webhook queue full: event %s not delivered", event["event_id"])

    def stop(self) -> None:
        self._stopped.set()
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_s) as http:
            while (body := self._queue.get()) is not None:
                self._post(http, body)

    def _post(self, http: httpx.Client, body: bytes) -> None:
        for attempt in range(self.ATTEMPTS):
            try:
                response = http.post(self.url, content=body, headers={
                    "Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)})
                if response.status_code < 300:
                    self.delivered += 1
                    return
                if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                    break  # the receiver refuses it: retrying cannot help
            except httpx.HTTPError as err:
                log.info("webhook %s: %s", self.url, err)
            if self._stopped.wait(random.uniform(0, self.BACKOFF_S * 2 ** attempt)):
                break
        self.failed += 1
        log.warning("webhook %s: an event was not delivered", self.url)
