"""One MQTT 5 connection (paho-mqtt) shared by the client, the event listener and the simulator: URL
parsing (mqtt://user:pass@host:port, mqtts:// for TLS), subscriptions that come back after a reconnect,
and a wait until the broker has confirmed them."""
from __future__ import annotations

import math
import socket
import threading
import uuid
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from integrations.devices.errors import DeviceUnreachable

Handler = Callable[[mqtt.MQTTMessage], None]


def broker_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"not an MQTT URL: {url!r} (mqtt://host:port or mqtts://host:port)")
    return parts.hostname or "127.0.0.1", parts.port or (8883 if parts.scheme == "mqtts" else 1883)


def publish_properties(**values) -> Properties:
    props = Properties(PacketTypes.PUBLISH)
    for name, value in values.items():
        setattr(props, name, value)
    return props


class MqttLink:
    def __init__(self, url: str, client_id: str | None = None, session_expiry_s: int = 0,
                 will: tuple[str, bytes] | None = None, keepalive_s: int = 30, connect_timeout_s: float = 5.0):
        self.url = url
        self.host, self.port = broker_address(url)
        self.client_id = client_id or f"bpm-{uuid.uuid4().hex[:12]}"
        self.session_expiry_s = session_expiry_s  # > 0: the broker keeps QoS 1 messages while we are away
        self.keepalive_s = keepalive_s
        self._subscriptions: dict[str, Handler] = {}
        self._pending_subacks: set[int] = set()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self.on_ready: Callable[[], None] | None = None
        client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5)
        parts = urlsplit(url)
        if parts.username:
            client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
        if parts.scheme == "mqtts":
            client.tls_set()
        if will:
            client.will_set(will[0], will[1], qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.connect_timeout = connect_timeout_s
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = lambda *_args: self._ready.clear()
        self.client = client

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Register before start(); resubscribed on every reconnect."""
        self._subscriptions[topic] = handler
        self.client.message_callback_add(topic, lambda _c, _u, msg: handler(msg))

    def start(self, timeout: float) -> None:
        """Connect (once) and wait until the broker confirmed our subscriptions; DeviceUnreachable if it
        does not within `timeout`. Safe to call before every use: returns at once while connected."""
        with self._lock:
            if not self._started:
                props = Properties(PacketTypes.CONNECT)
                if self.session_expiry_s:
                    props.SessionExpiryInterval = self.session_expiry_s
                try:
                    self.client.connect(self.host, self.port, keepalive=self.keepalive_s,
                                        clean_start=not self.session_expiry_s, properties=props)
                except OSError as err:
                    raise DeviceUnreachable(f"MQTT broker {self.host}:{self.port} unreachable: {err}",
                                            code="unreachable") from err
                self.client.loop_start()
                self._started = True
        if not self._ready.wait(timeout):
            raise DeviceUnreachable(f"not connected to the MQTT broker {self.host}:{self.port}",
                                    code="unreachable")

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                properties: Properties | None = None) -> None:
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise DeviceUnreachable(f"MQTT publish failed: {mqtt.error_string(info.rc)}", code="unreachable")

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def stop(self) -> None:
        with self._lock:
            if self._started:
                self.client.disconnect()
                self.client.loop_stop()
                self._started = False
        self._ready.clear()

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):  # a PUBACK and the next packet in a row: no 40 ms Nagle stall
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self._subscriptions:
            self._connected_and_subscribed()
            return
        result, mid = client.subscribe([(topic, 1) for topic in self._subscriptions])
        if result == mqtt.MQTT_ERR_SUCCESS:
            self._pending_subacks.add(mid)

    def _on_subscribe(self, _client, _userdata, mid, reason_codes, _properties) -> None:
        if mid in self._pending_subacks and not any(rc.is_failure for rc in reason_codes):
            self._pending_subacks.discard(mid)
            self._connected_and_subscribed()

    def _connected_and_subscribed(self) -> None:
        if self.on_ready:
            self.on_ready()
        self._ready.set()


def expiry_seconds(timeout: float) -> int:
    return max(1, math.ceil(timeout))


def publish_once(url: str, topic: str, payload: bytes, retain: bool = False, timeout: float = 5.0) -> None:
    """Connect, publish one message (QoS 1, acknowledged by the broker), disconnect."""
    link = MqttLink(url)
    link.start(timeout)
    try:
        link.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(timeout)
    finally:
        link.stop()
