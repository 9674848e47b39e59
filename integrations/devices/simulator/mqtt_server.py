"""The simulator's MQTT side: takes requests from `{prefix}/devices/+/commands/+` (QoS 1), answers on
each request's Response Topic with its Correlation Data, publishes status events, and keeps a retained
presence flag ("1" while connected, "0" as its will)."""
from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from integrations.devices.errors import DeviceUnreachable
from integrations.devices.mqtt_link import MqttLink, publish_properties
from integrations.devices.protocol import IDEMPOTENCY_PROPERTY, command_topic, error_body, presence_topic
from integrations.devices.simulator.events import MqttEventSink
from integrations.devices.simulator.gateway import Gateway, Reply

log = logging.getLogger(__name__)


class MqttGateway:
    def __init__(self, gateway: Gateway, url: str, prefix: str, workers: int = 16):
        self.gateway, self.prefix = gateway, prefix
        self.link = MqttLink(url, will=(presence_topic(prefix), b"0"))
        self.link.subscribe(command_topic(prefix, "+", "+"), self._on_request)
        self.link.on_ready = lambda: self.link.client.publish(presence_topic(prefix), b"1", qos=1, retain=True)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="sim-mqtt")
        gateway.sinks.append(MqttEventSink(self.link, prefix))

    def start(self, wait_s: float = 60.0) -> None:
        """Connect, waiting up to `wait_s` for a broker that is still starting."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.link.start(timeout=2.0)
                return
            except DeviceUnreachable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        if self.link.connected:
            self.link.client.publish(presence_topic(self.prefix), b"0", qos=1, retain=True).wait_for_publish(2)
        self.link.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _on_request(self, msg) -> None:
        self._pool.submit(self._handle, msg.topic, msg.payload, msg.properties)

    def _handle(self, topic: str, payload: bytes, props) -> None:
        reply_to = getattr(props, "ResponseTopic", None)
        if not reply_to:
            log.warning("request on %s without a response topic: ignored", topic)
            return
        parts = topic.split("/")
        device_id, command = parts[-3], parts[-1]
        key = dict(getattr(props, "UserProperty", None) or []).get(IDEMPOTENCY_PROPERTY)
        try:
            params = json.loads(payload) if payload else {}
            replies = self.gateway.dispatch(device_id, command, params, key)
        except ValueError:
            replies = [Reply(400, error_body("bad_request", "the payload is not JSON"))]
        except Exception:  # noqa: BLE001 - a bug in the simulator answers 500 like a real server
            log.exception("request on %s failed", topic)
            replies = [Reply(500, error_body("internal", "the simulator failed; see its log"))]
        answer = publish_properties(CorrelationData=getattr(props, "CorrelationData", b"") or b"")
        for reply in replies:
            self.link.client.publish(reply_to, json.dumps({"status": reply.status, **reply.body}).encode(),
                                     qos=1, properties=answer)
