"""The simulator's HTTP side (a threaded stdlib server, loopback by default): the gateway API the HTTP
adapter calls, the recording files, and the control API (/_sim/...) that tests and demos use to look
inside devices, add them, and switch faults on and off."""
from __future__ import annotations

import hmac
import json
import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from integrations.devices.protocol import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH, error_body
from integrations.devices.simulator.gateway import FAULT_MODES, Gateway
from integrations.devices.simulator.models import Refused

log = logging.getLogger(__name__)
MAX_BODY = 40 * 1024 * 1024

ROUTES = Map([
    Rule("/healthz", endpoint="health", methods=["GET"]),
    Rule("/devices/<device_id>/commands/<command>", endpoint="command", methods=["POST"]),
    Rule("/files/<name>", endpoint="file", methods=["GET"]),
    Rule("/_sim/devices", endpoint="devices", methods=["GET"]),
    Rule("/_sim/devices/<device_id>", endpoint="device", methods=["GET", "PUT", "DELETE"]),
    Rule("/_sim/devices/<device_id>/fault", endpoint="fault", methods=["PUT", "DELETE"]),
    Rule("/_sim/devices/<device_id>/settings", endpoint="settings", methods=["PATCH"]),
    Rule("/_sim/events", endpoint="events", methods=["GET"]),
    Rule("/_sim/faults", endpoint="fault_modes", methods=["GET"]),
])


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: Gateway, token: str | None, mqtt_status=lambda: None):
        super().__init__(address, Handler)
        self.gateway = gateway
        self.token = token
        self.mqtt_status = mqtt_status  # None: no MQTT side; else whether it is connected


class Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"  # keep-alive: the client's pooled connections are reused

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stall per answer

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug("%s %s", self.address_string(), format % args)

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        try:
            endpoint, args = ROUTES.bind("simulator").match(url.path, method=method)
        except HTTPException as err:
            self._discard_body()
            self._json(err.code or 404, error_body("not_found", err.description or "not found"))
            return
        if endpoint != "health" and not self._authorised():
            self._discard_body()
            self._json(401, error_body("unauthorized", "a valid bearer token is required"))
            return
        try:
            body = self._body()
            getattr(self, f"_{endpoint}")(method, body, parse_qs(url.query), **args)
        except Refused as refused:
            self._json(refused.status, error_body(refused.code, refused.message))
        except ValueError as err:
            self._json(400, error_body("bad_request", str(err)))
        except Exception:  # noqa: BLE001 - a bug in the simulator answers 500 like a real server
            log.exception("%s %s failed", method, url.path)
            self._json(500, error_body("internal", "the simulator failed; see its log"))

    def _authorised(self) -> bool:
        token = self.server.token
        if not token:
            return True
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise Refused(413, "too_large", "the request body is too large")
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ValueError("the body is not JSON") from None

    def _discard_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= MAX_BODY:
            self.rfile.read(length)
        elif length:
            self.close_connection = True

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection without an answer (the client sees it broken)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- endpoints
    def _health(self, _method, _body, _query) -> None:
        mqtt = self.server.mqtt_status()
        self._json(200, {"ok": mqtt is not False, "devices": len(self.server.gateway.devices), "mqtt": mqtt})

    def _command(self, _method, body, _query, device_id: str, command: str) -> None:
        key = self.headers.get(IDEMPOTENCY_HEADER)
        if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
            raise ValueError(f"{IDEMPOTENCY_HEADER} must have 1 to {MAX_KEY_LENGTH} characters")
        replies = self.server.gateway.dispatch(device_id, command, {} if body is None else body, key)
        if not replies:
            self._drop()
            return
        self._json(replies[0].status, replies[0].body)

    def _file(self, _method, _body, _query, name: str) -> None:
        files_dir = self.server.gateway.files_dir
        path = (files_dir / name).resolve()
        if path.parent != files_dir.resolve() or not path.is_file():
            raise Refused(404, "not_found", f"no file {name}")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 16):
                self.wfile.write(chunk)

    def _devices(self, _method, _body, _query) -> None:
        gateway = self.server.gateway
        self._json(200, {device_id: gateway.inspect(device_id) for device_id in list(gateway.devices)})

    def _device(self, method, body, _query, device_id: str) -> None:
        gateway = self.server.gateway
        if method == "PUT":
            if not isinstance(body, dict):
                raise ValueError('send {"kind": "studio" | "printer" | "screen"}')
            gateway.add_device(device_id, body.get("kind"))
            if body.get("settings"):
                gateway.adjust(device_id, body["settings"])
            self._json(201, gateway.inspect(device_id))
        elif method == "DELETE":
            if not gateway.remove_device(device_id):
                raise Refused(404, "unknown_device", f"no device {device_id}")
            self._json(200, {"removed": device_id})
        else:
            self._json(200, gateway.inspect(device_id))

    def _fault(self, method, body, _query, device_id: str) -> None:
        gateway = self.server.gateway
        if method == "PUT":
            if not isinstance(body, dict):
                raise ValueError('send {"mode": ..., "count": n | null, "delay_s": s}')
            gateway.set_fault(device_id, body)
        else:
            gateway.clear_fault(device_id)
        self._json(200, gateway.inspect(device_id))

    def _settings(self, _method, body, _query, device_id: str) -> None:
        self.server.gateway.adjust(device_id, body)
        self._json(200, self.server.gateway.inspect(device_id))

    def _events(self, _method, _body, query) -> None:
        after = int(query.get("after", ["0"])[0])
        self._json(200, self.server.gateway.events(after, query.get("device", [None])[0]))

    def _fault_modes(self, _method, _body, _query) -> None:
        self._json(200, FAULT_MODES)
