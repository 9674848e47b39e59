"""Device status events over MQTT (docs/devices.md): a process of its own that listens on the gateway's event
topics and applies each event as the webhook route does (app/bookings/device_jobs.receive), for a gateway
that speaks MQTT. `make run` starts it when DEVICE_GATEWAY_URL is mqtt(s)://; with its fixed client id the
broker keeps the events published while it is away.

    python -m app.bookings.device_listener
"""
from __future__ import annotations

import logging
import signal
import threading

from flask import Flask

from app.bookings import device_jobs
from integrations.devices import DeviceEvent, DeviceSettings
from integrations.devices.mqtt_client import MqttEventListener

log = logging.getLogger(__name__)
CLIENT_ID = "bpm-booking-events"


def listener(app: Flask, client_id: str | None = CLIENT_ID) -> MqttEventListener:
    """A started listener that applies every event in its own app context."""
    settings = DeviceSettings.from_mapping(app.config)

    def handle(event: DeviceEvent) -> None:
        with app.app_context():
            device_jobs.receive(event)

    return MqttEventListener(settings.gateway_url, handle, prefix=settings.mqtt_prefix, client_id=client_id).start()


def main() -> None:
    from app import create_app

    app = create_app()
    if DeviceSettings.from_mapping(app.config).transport != "mqtt":
        raise SystemExit("device_listener: DEVICE_GATEWAY_URL is not mqtt(s)://; events come by the webhook")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    running = listener(app)
    log.info("listening for device events")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


if __name__ == "__main__":
    main()
