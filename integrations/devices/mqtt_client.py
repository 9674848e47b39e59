"""MQTT adapter: MQTT 5 request/response. A request is published (QoS 1) to
`{prefix}/devices/{id}/commands/{command}` with the parameters as JSON, a Response Topic private to this
client, a Correlation Data and the idempotency key as a user property; the gateway publishes
{"status": ..., "result" | "error": ...} to the response topic with the same correlation data.

QoS 1 means "at least once": the gateway may see a request twice and we may see an answer twice. The
idempotency key makes the first harmless; answers whose correlation id no one waits for are dropped.
Status events arrive on `{prefix}/devices/{id}/events` (MqttEventListener)."""
from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from integrations.devices.client import DeviceClient
from integrations.devices.commands import Device
from integrations.devices.errors import DeviceTimeout, DeviceUnreachable
from integrations.devices.mqtt_link import MqttLink, expiry_seconds, publish_properties
from integrations.devices.policy import RetryPolicy
from integrations.devices.protocol import IDEMPOTENCY_PROPERTY, command_topic, events_topic, presence_topic
from integrations.devices.results import DeviceEvent

log = logging.getLogger(__name__)


class _Waiter:
    __slots__ = ("done", "status", "body")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.status = 0
        self.body: dict[str, Any] = {}


class MqttDeviceClient(DeviceClient):
    transport = "mqtt"

    def __init__(self, url: str, prefix: str = "bpm", policy: RetryPolicy | None = None,
                 client_id: str | None = None):
        super().__init__(policy)
        self.prefix = prefix
        self._link = MqttLink(url, client_id, connect_timeout_s=min(self.policy.attempt_timeout_s, 5.0))
        self._reply_topic = f"{prefix}/replies/{self._link.client_id}"
        self._waiting: dict[str, _Waiter] = {}
        self._gateway_online: bool | None = None  # None: not told yet
        self._link.subscribe(self._reply_topic, self._on_reply)
        self._link.subscribe(presence_topic(prefix), self._on_presence)

    def _exchange(self, device: Device, command: str, params: dict[str, Any], key: str | None,
                  timeout: float) -> tuple[int, dict[str, Any]]:
        self._link.start(timeout)
        if self._gateway_online is False:
            raise DeviceUnreachable("the device gateway is offline", code="gateway_offline")
        correlation = uuid.uuid4().hex
        waiter = self._waiting[correlation] = _Waiter()
        props = publish_properties(ResponseTopic=self._reply_topic, CorrelationData=correlation.encode(),
                                   MessageExpiryInterval=expiry_seconds(timeout))
        if key:
            props.UserProperty = [(IDEMPOTENCY_PROPERTY, key)]
        try:
            self._link.publish(command_topic(self.prefix, device.id, command), json.dumps(params).encode(),
                               qos=1, properties=props)
            if not waiter.done.wait(timeout):
                if self._gateway_online is False:
                    raise DeviceUnreachable("the device gateway went offline", code="gateway_offline")
                raise DeviceTimeout(f"no answer within {timeout:.2g} s", code="timeout")
            return waiter.status, waiter.body
        finally:
            self._waiting.pop(correlation, None)

    def _on_reply(self, msg) -> None:
        correlation = getattr(msg.properties, "CorrelationData", b"") or b""
        waiter = self._waiting.get(correlation.decode(errors="replace"))
        if waiter is None or waiter.done.is_set():
            return  # a duplicate, or an answer that came after its attempt gave up
        try:
            body = json.loads(msg.payload)
            waiter.status, waiter.body = int(body.pop("status")), body
        except (ValueError, KeyError, TypeError, AttributeError):
            waiter.status, waiter.body = 502, {"error": {"code": "bad_answer", "message": "unreadable answer"}}
        waiter.done.set()

    def _on_presence(self, msg) -> None:
        self._gateway_online = msg.payload == b"1"

    def close(self) -> None:
        self._link.stop()


class MqttEventListener:
    """Calls `handler(event)` for every status event on `{prefix}/devices/+/events`, each event once
    per listener (QoS 1 duplicates are dropped by event id), on the MQTT network thread: keep it short
    (enqueue a job, update a row). With a fixed `client_id` the broker keeps
    the events published while the listener is away (for `session_expiry_s`) and delivers them when it
    is back; the handler must still be idempotent across listener restarts."""

    REMEMBER = 10_000

    def __init__(self, url: str, handler: Callable[[DeviceEvent], None], prefix: str = "bpm",
                 client_id: str | None = None, session_expiry_s: int = 3600):
        self.handler = handler
        self._link = MqttLink(url, client_id, session_expiry_s=session_expiry_s if client_id else 0)
        self._link.subscribe(events_topic(prefix), self._on_event)
        self._seen: OrderedDict[str, None] = OrderedDict()

    def start(self, timeout: float = 10.0) -> MqttEventListener:
        self._link.start(timeout)
        return self

    def stop(self) -> None:
        self._link.stop()

    def _on_event(self, msg) -> None:
        try:
            event = DeviceEvent.from_json(json.loads(msg.payload))
        except (ValueError, TypeError, KeyError) as err:
            log.warning("unreadable device event on %s: %s", msg.topic, err)
            return
        if event.event_id in self._seen:  # paho calls back from one thread: no lock needed
            return
        try:
            self.handler(event)
        except Exception:  # noqa: BLE001 - one bad event must not stop the listener
            log.exception("device event handler failed for %s", event.event_id)
            return
        self._seen[event.event_id] = None
        if len(self._seen) > self.REMEMBER:
            self._seen.popitem(last=False)
