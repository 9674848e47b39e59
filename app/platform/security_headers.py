"""Security headers on every response: a Content-Security-Policy that allows no inline script and no framing
on HTML pages, and nosniff, a Referrer-Policy and (production, behind HTTPS) HSTS on everything.

Pages load their scripts from /static only; data for a page's script travels in `data-*` attributes or a
`<script type="application/json">` block, which a browser never executes.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


def content_security_policy(live_stream_url: str | None, allow_eval: bool = False) -> str:
    """The policy of HTML pages. Styles may be inline (the diagram libraries set style attributes); scripts,
    frames, objects (the PDF previews) and form targets may not leave the site. The live stream may be another origin.
    `allow_eval` (CSP_ALLOW_EVAL, browser tests only: Playwright evaluates its wait predicates with eval)
    never allows inline script."""
    connect = ["'self'"]
    if live_stream_url:
        parts = urlsplit(live_stream_url)
        if parts.scheme and parts.netloc:
            connect.append(f"{parts.scheme}://{parts.netloc}")
    directives = {
        "default-src": "'self'",
        "script-src": "'self' 'unsafe-eval'" if allow_eval else "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self' data:",
        "connect-src": " ".join(connect),
        # same-site objects only: the signing task shows the agreement's PDF in an <object> (with a link to open
        # it as the fallback where a browser has no viewer); 'none' left that preview empty
        "object-src": "'self'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def init_security_headers(app: Flask) -> None:
    policy = content_security_policy(app.config.get("LIVE_STREAM_URL"))
    test_policy = content_security_policy(app.config.get("LIVE_STREAM_URL"), allow_eval=True)
    hsts_max_age = int(app.config.get("HSTS_MAX_AGE_S") or 0)
    hsts = f"max-age={hsts_max_age}; includeSubDomains" if hsts_max_age > 0 else None

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy",
                               test_policy if app.config.get("CSP_ALLOW_EVAL") else policy)
            headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers that predate it
        if hsts:
            headers.setdefault("Strict-Transport-Security", hsts)
        return response
