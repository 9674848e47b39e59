"""Run the device simulator: `python -m integrations.devices.simulator --help`.

Secrets come from the environment, never the command line: DEVICE_GATEWAY_TOKEN (bearer token every
request but /healthz must carry; unset = none required) and DEVICE_WEBHOOK_SECRET (signs webhook events).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from integrations.devices.simulator.events import WebhookSink
from integrations.devices.simulator.gateway import DEFAULT_DEVICES, PrinterDefaults, make_gateway
from integrations.devices.simulator.http_server import SimulatorServer
from integrations.devices.simulator.mqtt_server import MqttGateway

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _devices(text: str) -> dict[str, str]:
    pairs = [item.split(":", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise argparse.ArgumentTypeError("devices are id:kind pairs separated by commas")
    return {device_id.strip(): kind.strip() for device_id, kind in pairs}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m integrations.devices.simulator",
                                     description="Device gateway simulator (HTTP and MQTT).")
    parser.add_argument("--listen", default="http://127.0.0.1:8765", help="URL to serve HTTP on (loopback)")
    parser.add_argument("--mqtt", help="broker URL (mqtt://host:port): also serve the MQTT gateway")
    parser.add_argument("--prefix", default="bpm", help="MQTT topic prefix")
    parser.add_argument("--webhook", help="URL to POST signed status events to")
    parser.add_argument("--files", default="var/devices/files", help="directory for recording files")
    parser.add_argument("--devices", type=_devices, default=DEFAULT_DEVICES,
                        help="id:kind,... (kinds: studio, printer, screen); default: the demo catalogue")
    parser.add_argument("--paper", type=int, default=500, help="sheets in each print robot")
    parser.add_argument("--queue-s", type=float, default=0.5, help="seconds a print job waits before printing")
    parser.add_argument("--page-s", type=float, default=1.0, help="seconds per printed sheet")
    parser.add_argument("--allow-remote", action="store_true", help="listen on a non-loopback address")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="device-simulator %(levelname)s %(message)s")
    listen = urlsplit(args.listen)
    host, port = listen.hostname or "127.0.0.1", listen.port or 8765
    if host not in LOOPBACK and not args.allow_remote:
        print(f"refusing to listen on {host}: the simulator is for loopback (--allow-remote)", file=sys.stderr)
        return 2
    token = os.environ.get("DEVICE_GATEWAY_TOKEN") or None
    secret = os.environ.get("DEVICE_WEBHOOK_SECRET") or None
    if args.webhook and not secret:
        print("--webhook needs DEVICE_WEBHOOK_SECRET in the environment", file=sys.stderr)
        return 2
    files = Path(args.files).resolve()
    files.mkdir(parents=True, exist_ok=True)
    gateway = make_gateway(files, args.listen, args.devices, PrinterDefaults(args.paper, args.queue_s, args.page_s))
    webhook = WebhookSink(args.webhook, secret) if args.webhook else None
    if webhook:
        gateway.sinks.append(webhook)
    mqtt = MqttGateway(gateway, args.mqtt, args.prefix) if args.mqtt else None
    server = SimulatorServer((host, port), gateway, token,
                             mqtt_status=(lambda: mqtt.link.connected) if mqtt else (lambda: None))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, name="sim-http", daemon=True).start()
    if mqtt:
        mqtt.start()
    print(f"device simulator: {args.listen} ({len(gateway.devices)} devices"
          f"{', MQTT ' + args.mqtt + ' prefix ' + args.prefix if mqtt else ''})", flush=True)
    stop.wait()
    gateway.stop()
    if mqtt:
        mqtt.stop()
    if webhook:
        webhook.stop()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
