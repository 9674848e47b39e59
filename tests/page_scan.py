"""What a rendered page must not contain or lack: the security headers of an HTML response, and no script
the Content-Security-Policy would block (inline <script>, on* handler attributes, javascript: URLs)."""
from __future__ import annotations

from html.parser import HTMLParser

DATA_SCRIPT_TYPES = ("application/json", "application/ld+json")


class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and (attributes.get("type") or "") not in DATA_SCRIPT_TYPES:
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...> at line {self.getpos()[0]}")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...> at line {self.getpos()[0]}")


def page_problems(response) -> list[str]:
    """Empty for a response that is not HTML or is an HTML page as the policy wants it."""
    headers = response.headers
    problems = []
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if response.mimetype != "text/html":
        return problems
    policy = {d.strip().split(" ", 1)[0]: d.strip() for d in headers.get("Content-Security-Policy", "").split(";")
              if d.strip()}
    if "frame-ancestors 'none'" not in policy.values():
        problems.append("CSP without frame-ancestors 'none'")
    script = policy.get("script-src") or policy.get("default-src") or ""
    if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script:
        problems.append(f"CSP allows inline script or has none: {script!r}")
    scanner = _InlineScripts()
    scanner.feed(response.get_data(as_text=True))
    return problems + scanner.found
