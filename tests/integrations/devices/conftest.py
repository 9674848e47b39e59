"""The device simulator as a real subprocess (one per test session, devices added per test with unique
ids), an MQTT broker (TEST_MQTT_URL if reachable, else a mosquitto of our own on a free port), a webhook
receiver that verifies every event's signature, and clients over both transports."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from integrations.devices.broker import free_port, mosquitto_binary, reachable, start_broker
from integrations.devices.commands import Device
from integrations.devices.http_client import HttpDeviceClient
from integrations.devices.mqtt_client import MqttDeviceClient, MqttEventListener
from integrations.devices.mqtt_link import broker_address, publish_once
from integrations.devices.policy import RetryPolicy
from integrations.devices.protocol import presence_topic
from integrations.devices.results import DeviceEvent
from integrations.devices.webhook import SIGNATURE_HEADER, InvalidSignature, verify

ROOT = Path(__file__).resolve().parents[3]
MQTT_URL = os.environ.get("TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FAST = RetryPolicy(max_attempts=4, backoff_base_s=0.02, backoff_max_s=0.1, attempt_timeout_s=1.0,
                   call_timeout_s=10.0)


@pytest.fixture(scope="session")
def mqtt_url(tmp_path_factory):
    if reachable(*broker_address(MQTT_URL)):
        yield MQTT_URL
        return
    if mosquitto_binary() is None:
        if IN_CI:
            pytest.exit("CI: no MQTT broker reachable and mosquitto is not installed", returncode=3)
        pytest.skip("no MQTT broker reachable and mosquitto is not installed")
    url, proc = start_broker(tmp_path_factory.mktemp("mosquitto"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


class EventCollector:
    """Events as a consumer sees them, with a wait for the ones a test expects."""

    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []
        self.refused = 0
        self._changed = threading.Condition()

    def add(self, event: DeviceEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, device: Device) -> list[DeviceEvent]:
        with self._changed:
            return [e for e in self.events if e.device_id == device.id]

    def wait_for(self, predicate, seconds: float = 15.0) -> list[DeviceEvent]:
        deadline = time.monotonic() + seconds
        with self._changed:
            while not predicate(self.events):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"events never matched; got {[(e.device_id, e.type) for e in self.events]}"
                self._changed.wait(remaining)
            return list(self.events)


@pytest.fixture(scope="session")
def webhook_secret() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture(scope="session")
def webhook(webhook_secret):
    """An HTTP receiver standing in for the platform's webhook route: verify, then collect."""
    collector = EventCollector()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                collector.add(verify(body, self.headers.get(SIGNATURE_HEADER), webhook_secret))
                status = 204
            except InvalidSignature:
                collector.refused += 1
                status = 400
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    collector.url = f"http://127.0.0.1:{server.server_address[1]}/devices/events"
    yield collector
    server.shutdown()


class Simulator:
    """The running simulator and its control API."""

    def __init__(self, url: str, token: str, prefix: str, mqtt_url: str, proc: subprocess.Popen):
        self.url, self.token, self.prefix, self.mqtt_url, self.proc = url, token, prefix, mqtt_url, proc
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def add(self, kind: str, **settings) -> Device:
        device = Device(f"{kind}-{uuid.uuid4().hex[:10]}", kind)
        self.http.put(f"/_sim/devices/{device.id}", json={"kind": kind, "settings": settings}).raise_for_status()
        return device

    def inspect(self, device: Device) -> dict:
        response = self.http.get(f"/_sim/devices/{device.id}")
        response.raise_for_status()
        return response.json()

    def fault(self, device: Device, mode: str, count: int | None = None, delay_s: float = 3.0) -> None:
        self.http.put(f"/_sim/devices/{device.id}/fault",
                      json={"mode": mode, "count": count, "delay_s": delay_s}).raise_for_status()

    def heal(self, device: Device) -> None:
        self.http.delete(f"/_sim/devices/{device.id}/fault").raise_for_status()

    def adjust(self, device: Device, **settings) -> None:
        self.http.patch(f"/_sim/devices/{device.id}/settings", json=settings).raise_for_status()


def start_simulator(tmp: Path, mqtt_url: str, webhook_url: str | None, webhook_secret: str,
                    extra: list[str] = ()) -> Simulator:
    port, token, prefix = free_port(), secrets.token_urlsafe(16), f"test-{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "integrations.devices.simulator", "--listen", url, "--mqtt", mqtt_url,
            "--prefix", prefix, "--files", str(tmp / "files"), "--devices", "", "--queue-s", "0.05",
            "--page-s", "0.02", *extra]
    if webhook_url:
        args += ["--webhook", webhook_url]
    env = dict(os.environ, DEVICE_GATEWAY_TOKEN=token, DEVICE_WEBHOOK_SECRET=webhook_secret)
    log = (tmp / "simulator.log").open("w")  # a file, not a pipe nobody reads: a full pipe would block it
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = Path(log.name)
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, proc.log_path.read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).json().get("mqtt"):
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the simulator did not come up"
        time.sleep(0.1)
    return Simulator(url, token, prefix, mqtt_url, proc)


def stop_simulator(sim: Simulator) -> None:
    sim.proc.terminate()
    assert sim.proc.wait(timeout=15) == 0, sim.proc.log_path.read_text()
    sim.http.close()
    publish_once(sim.mqtt_url, presence_topic(sim.prefix), b"", retain=True)  # leave no retained flag behind


@pytest.fixture(scope="session")
def simulator(tmp_path_factory, mqtt_url, webhook, webhook_secret):
    sim = start_simulator(tmp_path_factory.mktemp("simulator"), mqtt_url, webhook.url, webhook_secret)
    yield sim
    stop_simulator(sim)


@pytest.fixture(scope="session")
def mqtt_events(simulator):
    collector = EventCollector()
    listener = MqttEventListener(simulator.mqtt_url, collector.add, prefix=simulator.prefix).start()
    yield collector
    listener.stop()


@pytest.fixture(scope="session")
def clients(simulator):
    made = {"http": HttpDeviceClient(simulator.url, simulator.token, FAST),
            "mqtt": MqttDeviceClient(simulator.mqtt_url, simulator.prefix, FAST)}
    yield made
    for client in made.values():
        client.close()


@pytest.fixture(params=["http", "mqtt"])
def transport(request) -> str:
    return request.param


@pytest.fixture
def client(clients, transport):
    return clients[transport]


@pytest.fixture
def events(transport, webhook, mqtt_events) -> EventCollector:
    """Status events over the transport under test: the signed webhook for HTTP, the topic for MQTT."""
    return webhook if transport == "http" else mqtt_events
