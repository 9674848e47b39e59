"""Error pages: every refusal is a page in the user's language, never a traceback."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.platform.extensions import db


def register_error_pages(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(400)
    def bad_request(err):
        return page(400, _("Bad request"), getattr(err, "description", "") or _("The request was not understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return page(400, _("Form expired"), _("The form expired or came from elsewhere. Reload the page and try again."))

    @app.errorhandler(403)
    def forbidden(err):
        return page(403, _("Not allowed"), _("You do not have permission to see or do this."))

    @app.errorhandler(404)
    def not_found(err):
        return page(404, _("Not found"), _("This page or item does not exist, or you may not see it."))

    @app.errorhandler(405)
    def not_allowed(err):
        return page(405, _("Method not allowed"), _("This address does not accept that kind of request."))

    @app.errorhandler(409)
    def conflict(err):
        return page(409, _("Changed meanwhile"), getattr(err, "description", "") or "")

    @app.errorhandler(413)
    def too_large(err):
        limit = request.max_content_length
        if limit:
            return page(413, _("Too large"), _("The upload is larger than allowed (at most %(n)s MB).",
                                                n=max(1, round(limit / (1024 * 1024)))))
        return page(413, _("Too large"), _("The upload is larger than allowed."))

    @app.errorhandler(429)
    def too_many(err):
        return page(429, _("Too many requests"), _("Please wait a few minutes and try again."))

    @app.errorhandler(500)
    def server_error(err):
        db.session.rollback()
        return page(500, _("Something went wrong"), _("The error was recorded. Please try again later."))
