"""RFC 3161 timestamps: a client for the configured TSA, and a local TSA for development and tests."""
from __future__ import annotations

import base64
import http.client
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable
from urllib.parse import unquote, urlsplit

from asn1crypto import cms, core, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign import general
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps import DummyTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from documents import pki
from documents.signers import as_asn1
from documents.settings import DocumentSettings

MAX_REQUEST_BYTES = 64 * 1024


class LocalTimeStamper(DummyTimeStamper):
    """pyHanko's DummyTimeStamper with the TSA key parsed once instead of on every request."""

    def __init__(self, tsa_cert: asn1_x509.Certificate, tsa_key: RSAPrivateKey,
                 certs_to_embed: Iterable[asn1_x509.Certificate] = ()):
        key_info = keys.PrivateKeyInfo.load(tsa_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        super().__init__(tsa_cert=tsa_cert, tsa_key=key_info, certs_to_embed=list(certs_to_embed))
        self._key = tsa_key

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: datetime):
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
            simple_cms_attribute("signing_certificate", general.as_signing_certificate(self.tsa_cert)),
            simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._key.sign(signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper()))
        return signature, signed_attrs


def local_timestamper(settings: DocumentSettings) -> LocalTimeStamper:
    """A TSA signing with the installation's TSA certificate (issued on first use)."""
    credential = pki.ensure_tsa_certificate(settings)
    ca = pki.ensure_ca(settings)
    key = pki.load_private_key(settings, credential)
    assert isinstance(key, RSAPrivateKey)
    return LocalTimeStamper(as_asn1(credential.certificate), key, [as_asn1(ca.certificate)])


_CACHE: dict[tuple, TimeStamper] = {}
_CACHE_LOCK = threading.Lock()


def timestamper_for(settings: DocumentSettings) -> TimeStamper:
    """The TimeStamper for settings.tsa_url ("local" = in-process TSA with the installation's certificate)."""
    if not settings.tsa_url:
        raise ValueError("no TSA configured (settings.tsa_url): PAdES B-T signatures need one")
    key = (settings.tsa_url, str(settings.key_dir), settings.tsa_timeout_s)
    with _CACHE_LOCK:
        stamper = _CACHE.get(key)
        if stamper is None:
            if settings.tsa_url == "local":
                stamper = local_timestamper(settings)
            else:
                stamper = KeepAliveHTTPTimeStamper(settings.tsa_url, timeout_s=settings.tsa_timeout_s)
            _CACHE[key] = stamper
        return stamper


def answer_timestamp_request(stamper: DummyTimeStamper, content_type: str | None,
                             body: bytes) -> tuple[int, str, bytes]:
    """(HTTP status, content type, body) for one RFC 3161 request over HTTP."""
    if content_type != "application/timestamp-query" or not 0 < len(body) <= MAX_REQUEST_BYTES:
        return 400, "text/plain", b"expected an application/timestamp-query body\n"
    try:
        request = tsp.TimeStampReq.load(body)
        request.native  # noqa: B018 - parses fully: malformed DER fails here, not inside the stamper
        return 200, "application/timestamp-reply", stamper.request_tsa_response(request).dump()
    except ValueError:
        return 400, "text/plain", b"malformed timestamp request\n"


def tsa_wsgi_app(stamper: DummyTimeStamper) -> Callable:
    """The local TSA as a WSGI app (POST application/timestamp-query at any path), to mount elsewhere."""

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Type", "text/plain")])
            return [b"POST an application/timestamp-query\n"]
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_REQUEST_BYTES + 1)
        status, ctype, body = answer_timestamp_request(stamper, environ.get("CONTENT_TYPE"),
                                                       environ["wsgi.input"].read(length))
        start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}",
                       [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    return app


class _TsaHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a signing worker reuses one connection
    # Headers and body go out in two writes; with Nagle the second waits for the client's delayed ACK (40 ms).
    disable_nagle_algorithm = True
    stamper: DummyTimeStamper

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.send_error(413)
            return
        status, ctype, body = answer_timestamp_request(self.stamper, self.headers.get("Content-Type"),
                                                       self.rfile.read(length))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


class LocalTsaServer:
    """The local TSA on 127.0.0.1 (HTTP/1.1) in a background thread. Port 0 = a free port; see .url."""

    def __init__(self, settings: DocumentSettings, host: str = "127.0.0.1", port: int = 0):
        handler = type("TsaHandler", (_TsaHandler,), {"stamper": local_timestamper(settings)})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/tsa"

    def start(self) -> "LocalTsaServer":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="local-tsa", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> "LocalTsaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class KeepAliveHTTPTimeStamper(TimeStamper):
    """RFC 3161 client over HTTP(S) keeping one connection per thread.

    pyHanko's HTTPTimeStamper opens an aiohttp session per request: ~37 ms per timestamp against a local
    TSA here, against ~6 ms for a kept-alive http.client connection.
    """

    def __init__(self, url: str, timeout_s: float = 10.0, headers: dict[str, str] | None = None):
        super().__init__()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"TSA url must be http(s)://host/path, not {url!r}")
        self.url = url
        self._parts = parts
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout_s
        self._headers = {"Content-Type": "application/timestamp-query",
                         "Accept": "application/timestamp-reply", **(headers or {})}
        if parts.username:
            token = base64.b64encode(f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode())
            self._headers["Authorization"] = "Basic " + token.decode()
        self._local = threading.local()

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        body = req.dump()
        for attempt in (1, 2):  # a kept-alive connection may have been closed by the server meanwhile
            conn = self._connection()
            try:
                conn.request("POST", self._path, body=body, headers=self._headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError) as err:
                self._drop()
                if attempt == 2:
                    raise TimestampRequestError(f"TSA {self.url} unreachable: {err}") from err
                continue
            if response.will_close:
                self._drop()
            if response.status != 200:
                raise TimestampRequestError(f"TSA {self.url} answered HTTP {response.status}")
            if response.getheader("Content-Type") != "application/timestamp-reply":
                raise TimestampRequestError(f"TSA {self.url} answered {response.getheader('Content-Type')}")
            return tsp.TimeStampResp.load(data)
        raise AssertionError("unreachable")

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        # Blocking on purpose: pyHanko runs one signature per event loop; a thread hop would only add latency.
        return self.request_tsa_response(req)

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
            conn = self._local.conn = cls(self._parts.hostname, self._parts.port, timeout=self._timeout)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()


def serve(settings: DocumentSettings, host: str = "127.0.0.1", port: int = 3161) -> None:
    """Run the local TSA in the foreground (development: `python -m documents.tsa`)."""
    server = LocalTsaServer(settings, host, port)
    print(f"local TSA on {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    import os
    from pathlib import Path

    serve(DocumentSettings.from_env(Path(os.environ.get("VAR_DIR", "var")) / "documents"))
