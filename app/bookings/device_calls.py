"""What a booking asks of its resource's devices (through integrations/devices, run by the worker): at the
start a studio is powered on, configured and starts recording, a screen shows the booking; at the end the
recording is stopped, fetched and registered on the booking, and the studio powered off, the screen cleared.

Every command carries an idempotency key derived from the job's key, so a job run again after a lost answer
or an incident gets the first result back instead of starting a second recording. Errors leave as they are:
the engine's job layer retries with backoff and opens an incident that staff retry (docs/devices.md)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from app.bookings import domain
from app.bookings.models import Booking, Resource
from app.platform import clock
from app.platform.extensions import db
from app.platform.uow import read_only, unit_of_work
from integrations.devices import Device, DeviceRejected, DeviceSettings, RecordingFile, shared_client
from integrations.devices import files as device_files

LIGHTS, CAMERAS, PRESETS = 80, ["main", "wide"], {domain.STUDIO: "interview"}


def settings() -> DeviceSettings:
    return DeviceSettings.from_mapping(current_app.config)


def _load(booking_id: int) -> tuple[dict, list[Device], dict]:
    with read_only():
        booking = db.session.get(Booking, booking_id)
        resource = db.session.get(Resource, booking.resource_id)
        facts = {"status": booking.status, "number": booking.number, "purpose": booking.purpose,
                 "resource": resource.name, "recording": booking.recording}
        devices = [Device(d["id"], d["kind"]) for d in resource.devices or ()]
        return facts, devices, {"kind": resource.kind}


def _log(booking_id: int, entries: list[dict], recording: dict | None = None) -> None:
    with unit_of_work() as uow:
        booking = uow.get(Booking, booking_id)
        booking.device_log = [*(booking.device_log or []), *entries]
        if recording is not None:
            booking.recording = recording
        uow.commit()


def _call(device: Device, command: str, params: dict, key: str, entries: list[dict]):
    result = shared_client(settings()).call(device, command, params, idempotency_key=f"{key}:{device.id}:{command}")
    entries.append({"device": device.id, "command": command, "at": clock.utcnow().isoformat(), "replayed": result.replayed})
    return result.value


def start(booking_id: int, key: str) -> dict:
    """At the start of a confirmed booking: switch its devices on."""
    facts, devices, _resource = _load(booking_id)
    entries: list[dict] = []
    if facts["status"] == domain.CONFIRMED:
        for device in devices:
            if device.kind == "studio":
                _call(device, "power_on", {}, key, entries)
                _call(device, "configure", {"lights": LIGHTS, "cameras": CAMERAS, "preset": "interview"}, key, entries)
                _call(device, "start_recording", {"title": f"{facts['number']} {facts['purpose']}"[:200]}, key,
                      entries)
            elif device.kind == "screen":
                _call(device, "show", {"title": facts["resource"][:100], "text": facts["purpose"][:2000]}, key,
                      entries)
        if entries:
            _log(booking_id, entries)
    return {"devices_started": len(entries)}


def _register(booking_id: int, number: str, file: RecordingFile) -> dict:
    """Fetch the recording from the gateway's file server (checked against its size and SHA-256) into the
    booking's folder."""
    config = settings()
    dest = Path(current_app.config["VAR_DIR"]) / "bookings" / "recordings" / number / Path(file.name).name
    device_files.download(file, dest, config.file_server, config.token)
    return {**file.to_json(), "path": str(dest)}


def stop(booking_id: int, key: str) -> dict:
    """At the end (or after a no-show): stop and register the recording, power off, clear screens."""
    facts, devices, _resource = _load(booking_id)
    entries: list[dict] = []
    recording = None
    for device in devices:
        if device.kind == "studio":
            try:
                file = _call(device, "stop_recording", {}, key, entries)
            except DeviceRejected as err:
                if err.code != "not_recording":
                    raise
            else:
                if facts["status"] in (domain.IN_USE, domain.COMPLETED) and facts["recording"] is None:
                    recording = _register(booking_id, facts["number"], file)
            _call(device, "power_off", {}, key, entries)
        elif device.kind == "screen":
            _call(device, "clear", {}, key, entries)
    if entries:
        _log(booking_id, entries, recording)
    return {"devices_stopped": len(entries), "recording": recording["name"] if recording else None}
