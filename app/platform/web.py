"""What every request shares: server-side sessions, CSRF protection, security headers, error pages, the
operation log, the language, and the `public` marker for views that need no permission (the guards
themselves are app/identity/guards.py)."""
from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from markupsafe import Markup, escape

from app.platform.db_types import utcnow
from app.platform.errors import register_error_pages
from app.platform.extensions import csrf
from app.platform.i18n import select_locale
from app.platform.oplog import log_request
from app.platform.security_headers import init_security_headers
from app.platform.sessions import init_sessions

PUBLIC = "public"
_ADDRESS_PARTS = re.compile(r"(?=[@.])")


def public(view: Callable) -> Callable:
    """A view anyone may open (signed in or not); see app/identity/guards.check_route_guards."""
    view.required_permission = PUBLIC
    return view


def signed_elsewhere(view: Callable) -> Callable:
    """A machine-to-machine endpoint that proves its caller by a signature of its own (a device webhook):
    no browser session, so no CSRF token; the view must check the signature itself."""
    return csrf.exempt(view)


def email_breaks(address: str | None) -> Markup:
    """An e-mail address that may wrap only before its "@" and dots, never inside a name."""
    return Markup("<wbr>").join(escape(part) for part in _ADDRESS_PARTS.split(address or "")) \
        if address else Markup("")


def init_web(app: Flask) -> None:
    from app.platform import live_stream, params
    from app.platform.health import bp as health
    from app.platform.source_texts import source_text

    params.install(app)  # before any route is added: the strict <int:...> converter
    init_sessions(app)
    csrf.init_app(app)
    app.register_blueprint(health)
    app.register_blueprint(live_stream.bp)
    app.add_template_filter(source_text, "source_text")  # names from BPMN and form files, in the reader's language
    app.add_template_filter(email_breaks, "email_breaks")
    app.after_request(log_request)
    init_security_headers(app)
    register_error_pages(app)

    @app.context_processor
    def shared():
        # the one university name (UNIVERSITY_NAME, UNIVERSITY_OFFICE) that documents and certificates use too
        return {"current_locale": select_locale(), "now_utc": utcnow(),
                "university_name": app.config["UNIVERSITY_NAME"], "university_office": app.config["UNIVERSITY_OFFICE"]}
