"""What `make run` starts for devices: the simulator as the gateway (unless a real one is configured) and,
for an MQTT gateway on this machine that nothing answers on, a mosquitto of our own on a free port."""
from __future__ import annotations

import sys
from pathlib import Path

from integrations.devices.broker import LOOPBACK, broker_command, free_port, reachable
from integrations.devices.mqtt_link import broker_address
from integrations.devices.settings import DeviceSettings


def device_pieces(settings: DeviceSettings, var_dir: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(commands by piece name, environment every piece needs). Raises RuntimeError when MQTT is
    configured on another machine and unreachable, or a broker is needed and mosquitto is missing."""
    if not settings.simulator:
        return {}, {}
    pieces: dict[str, list[str]] = {}
    env = {"DEVICE_GATEWAY_URL": settings.gateway_url}
    if settings.token:
        env["DEVICE_GATEWAY_TOKEN"] = settings.token
    if settings.webhook_secret:
        env["DEVICE_WEBHOOK_SECRET"] = settings.webhook_secret
    simulator = [sys.executable, "-m", "integrations.devices.simulator", "--listen", settings.simulator_url,
                 "--files", str(var_dir / "devices" / "files")]
    if settings.transport == "mqtt":
        host, port = broker_address(settings.gateway_url)
        if not reachable(host, port):
            if host not in LOOPBACK:
                raise RuntimeError(f"the MQTT broker {host}:{port} (DEVICE_GATEWAY_URL) is unreachable")
            port = free_port()
            pieces["mqtt-broker"] = broker_command(var_dir / "devices" / "mosquitto", port)
            env["DEVICE_GATEWAY_URL"] = f"mqtt://127.0.0.1:{port}"
        simulator += ["--mqtt", env["DEVICE_GATEWAY_URL"], "--prefix", settings.mqtt_prefix]
    if settings.webhook_url:
        simulator += ["--webhook", settings.webhook_url]
    pieces["devices"] = simulator
    return pieces, env
