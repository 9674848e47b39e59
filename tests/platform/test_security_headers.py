"""Security headers and request-size limits: an oversized upload is refused before anything is stored, pages
carry a Content-Security-Policy without inline script, production sends HSTS and Secure cookies. (Every page
of every role is scanned in tests/identity/test_access_matrix.py.)"""
from __future__ import annotations

import pytest
from flask import Request

from tests.page_scan import page_problems
from tests.procs import build_config

MIB = 1024 * 1024


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "----limit-test"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"big.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + b"0" * (size - len(head) - len(tail)) + tail, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def stored(monkeypatch) -> list[int]:
    """Sizes of the files Werkzeug opened to store uploaded parts in."""
    opened: list[int] = []
    original = Request._get_file_stream

    def spy(self, total_content_length, content_type, filename=None, content_length=None):
        opened.append(total_content_length)
        return original(self, total_content_length, content_type, filename, content_length)

    monkeypatch.setattr(Request, "_get_file_stream", spy)
    return opened


@pytest.mark.parametrize("size_mib", [26, 21])  # over the application's 25 MiB; over /verify's 20 MiB PDF
def test_oversized_anonymous_upload_is_refused_unread(app, stored, size_mib):
    body, content_type = _multipart(size_mib * MIB)
    resp = app.test_client().post("/verify", data=body, content_type=content_type)
    assert resp.status_code == 413
    assert stored == []
    assert resp.mimetype == "text/html" and "MB" in resp.get_data(as_text=True)
    assert page_problems(resp) == []


def test_an_upload_within_the_limit_is_read(app, stored):
    body, content_type = _multipart(1 * MIB)
    resp = app.test_client().post("/verify", data=body, content_type=content_type)
    assert resp.status_code == 422  # read, then found not to be a readable PDF
    assert stored == [len(body)]


def test_pages_carry_the_policy(app):
    resp = app.test_client().get("/login")
    assert resp.status_code == 200 and page_problems(resp) == []
    policy = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'self'" in policy
    assert "Strict-Transport-Security" not in resp.headers  # development: plain HTTP


def test_production_sends_hsts_and_secure_cookies(tmp_path, redis_url):
    from app import create_app
    from config.settings import ProductionConfig

    production = {key: getattr(ProductionConfig, key)
                  for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "HSTS_MAX_AGE_S")}
    app = create_app(build_config(f"sqlite:///{tmp_path / 'p.sqlite'}", redis_url, "q", str(tmp_path),
                                  LIVE_STREAM_URL="https://live.example.edu/events", **production))
    client = app.test_client()
    resp = client.post("/language", data={"lang": "en"})  # sets the session cookie
    assert "Secure" in resp.headers["Set-Cookie"] and "HttpOnly" in resp.headers["Set-Cookie"]
    page = client.get("/login")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "connect-src 'self' https://live.example.edu" in page.headers["Content-Security-Policy"]
