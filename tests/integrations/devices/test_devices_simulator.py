"""The simulator's own HTTP surface (bad input gets a 4xx, never a crash; files stay in their folder;
faults are validated), and what `make run` starts for devices (the simulator, and a broker of its own
when MQTT is configured and nothing answers)."""
from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from integrations.devices.broker import free_port, mosquitto_binary
from integrations.devices.commands import Device
from integrations.devices.launch import device_pieces
from integrations.devices.settings import DeviceSettings, connect
from tests.integrations.devices.conftest import ROOT


def test_bad_requests_get_clear_4xx_answers(simulator):
    http, studio = simulator.http, simulator.add("studio")
    command = f"/devices/{studio.id}/commands"
    answers = [
        http.post(f"{command}/configure", json={"lights": 500}),
        http.post(f"{command}/configure", content=b"{not json", headers={"Content-Type": "application/json"}),
        http.post(f"{command}/configure", json=[1, 2]),
        http.post(f"{command}/power_on", json={}, headers={"Idempotency-Key": "k" * 300}),
        http.post(f"{command}/print", json={}),
        http.post(f"{command}/self_destruct", json={}),
        http.put(f"/_sim/devices/{studio.id}/fault", json={"mode": "meltdown"}),
        http.put(f"/_sim/devices/{studio.id}/fault", json={"mode": "slow", "count": 0}),
        http.put("/_sim/devices/bad%2Fid", json={"kind": "studio"}),
        http.put("/_sim/devices/x-1", json={"kind": "toaster"}),
        http.patch(f"/_sim/devices/{studio.id}/settings", json={"paper": 5}),
        http.get("/_sim/events?after=soon"),
        http.get("/files/..%2F..%2Fetc%2Fpasswd"),
        http.get("/nowhere"),
    ]
    assert [a.status_code for a in answers] == [422, 400, 400, 400, 404, 404, 422, 422, 422, 422, 422, 400, 404, 404]
    assert all("error" in a.json() for a in answers)
    assert simulator.inspect(studio)["executed"] == {}


def test_the_control_api_shows_devices_faults_and_events(simulator):
    printer = simulator.add("printer", paper=7)
    simulator.fault(printer, "error", count=3)
    seen = simulator.inspect(printer)
    assert seen["fault"] == {"mode": "error", "count": 3, "delay_s": 3.0}
    assert seen["settings"]["paper"] == 7 and seen["kind"] == "printer"
    assert printer.id in simulator.http.get("/_sim/devices").json()
    assert set(simulator.http.get("/_sim/faults").json()) == {"timeout", "error", "slow", "drop", "duplicate"}
    simulator.heal(printer)
    assert simulator.inspect(printer)["fault"] is None
    assert simulator.http.delete(f"/_sim/devices/{printer.id}").status_code == 200
    assert simulator.http.get(f"/_sim/devices/{printer.id}").status_code == 404


def _run(pieces: dict, env: dict, tmp_path) -> list[subprocess.Popen]:
    return [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=(tmp_path / f"{name}.log").open("w"),
                             stderr=subprocess.STDOUT) for name, cmd in pieces.items()]


@pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")
def test_make_run_starts_a_broker_and_the_simulator_when_mqtt_is_configured(tmp_path):
    import os

    closed = free_port()
    settings = DeviceSettings(gateway_url=f"mqtt://127.0.0.1:{closed}", simulator_url=f"http://127.0.0.1:{free_port()}",
                              token="t0ken", mqtt_prefix="runtest")
    pieces, env = device_pieces(settings, tmp_path)
    assert set(pieces) == {"mqtt-broker", "devices"}
    assert env["DEVICE_GATEWAY_URL"] != settings.gateway_url and env["DEVICE_GATEWAY_TOKEN"] == "t0ken"
    procs = _run(pieces, dict(os.environ, **env), tmp_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{settings.simulator_url}/healthz", timeout=1).json()["mqtt"]:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "devices.log").read_text()
            time.sleep(0.1)
        configured = DeviceSettings.from_mapping({"DEVICE_GATEWAY_URL": env["DEVICE_GATEWAY_URL"],
                                                  "DEVICE_MQTT_PREFIX": "runtest"})
        with connect(configured) as client:
            assert client.call(Device("studio-1", "studio"), "power_on").value.powered  # the demo catalogue
    finally:
        for proc in procs:
            proc.terminate()
        assert all(proc.wait(timeout=15) == 0 for proc in procs)


def test_no_pieces_for_a_real_gateway():
    assert device_pieces(DeviceSettings(simulator=False), ROOT / "var") == ({}, {})
