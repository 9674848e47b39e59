"""The web layer: blueprints, one per area, and what every request shares (locale, errors, op log)."""
from __future__ import annotations

from flask import Flask, g, has_request_context, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.platform.extensions import db, login_manager

csrf = CSRFProtect()


def register_blueprints(app: Flask) -> None:
    from app.web import admin, agreements, auth, employers, health, inbox, instances, processes, tasks, verify
    from app.notifications import routes as notifications
    from app.platform import live_stream
    from app.web.security import check_route_guards, log_operation

    csrf.init_app(app)
    for module in (health, auth, inbox, tasks, processes, instances, admin, agreements, employers, verify,
                   live_stream, notifications):
        app.register_blueprint(module.bp)
    app.after_request(log_operation)
    from app.platform.source_texts import source_text

    app.add_template_filter(source_text, "source_text")  # names from BPMN and form files, in the reader's language
    _errors(app)
    _context(app)
    check_route_guards(app)


@login_manager.user_loader
def load_user(user_id: str):
    from app.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


login_manager.login_view = "auth.login"
login_manager.login_message = None


def select_locale() -> str:
    if not has_request_context():  # a worker rendering something: the default, unless force_locale says
        return "zh_CN"
    lang = request.args.get("lang") or session.get("lang")
    if not lang and current_user.is_authenticated:
        lang = current_user.locale
    return lang if lang in ("zh_CN", "en") else "zh_CN"


def _errors(app: Flask) -> None:
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
        return page(413, _("Too large"), _("The upload is larger than allowed."))

    @app.errorhandler(429)
    def too_many(err):
        return page(429, _("Too many requests"), _("Please wait a few minutes and try again."))

    @app.errorhandler(500)
    def server_error(err):
        db.session.rollback()
        return page(500, _("Something went wrong"), _("The error was recorded. Please try again later."))


def _context(app: Flask) -> None:
    @app.context_processor
    def shared():
        from app.platform.db_types import utcnow
        from app.services.access import load_policy

        data = {"current_locale": select_locale(), "roles_policy": load_policy(), "now_utc": utcnow()}
        if current_user.is_authenticated:
            from app.services.inbox import badge_count
            from app.web.security import principal

            if "inbox_badge" not in g:
                g.inbox_badge = badge_count(principal())
            data["inbox_badge"] = g.inbox_badge
            data["me"] = principal()
        return data
