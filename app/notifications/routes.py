"""The notification centre: the list, opening one (marks it read), marking all read, the bell's count."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.identity.guards import login_only
from app.notifications import queries, services
from app.platform.params import page_number

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.get("/notifications")
@login_only
def index():
    unread_only = request.args.get("show") == "unread"
    result = queries.notifications_of(current_user.id, page_number(), unread_only)
    return render_template("notifications/index.html", result=result, unread_only=unread_only)


@bp.post("/notifications/<int:notification_id>/open")
@login_only
def open_one(notification_id: int):
    """Mark it read and go where it points (or back to the list)."""
    try:
        link = services.mark_read(current_user.id, notification_id)
    except services.NotificationNotFound:
        abort(404)
    if request.form.get("stay") or not _is_local(link):
        return redirect(url_for("notifications.index", show=request.args.get("show") or None))
    return redirect(link)


@bp.post("/notifications/read-all")
@login_only
def read_all():
    changed = services.mark_all_read(current_user.id)
    flash(_("%(n)s notifications marked as read.", n=changed) if changed else _("Nothing was unread."), "info")
    return redirect(url_for("notifications.index"))


@bp.get("/notifications/unread-count")
@login_only
def unread_count():
    """For the bell after a `reset` of the live stream."""
    return jsonify(unread=queries.unread_count(current_user.id))


@bp.app_context_processor
def bell() -> dict:
    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        if "notification_unread" not in g:
            g.notification_unread = queries.unread_count(current_user.id)
        return g.notification_unread

    return {"notification_unread": count}


def _is_local(link: str | None) -> bool:
    return bool(link) and link.startswith("/") and not link.startswith("//") and not urlsplit(link).netloc
