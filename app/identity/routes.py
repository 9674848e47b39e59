"""Sign in, sign out, password change, language choice; the operation log page for administrators."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from app.identity import passwords, queries, services, throttle
from app.identity.guards import login_only, permission_required, principal, public
from app.platform import oplog
from app.platform.areas import registry
from app.platform.i18n import LANGUAGES
from app.platform import params
from app.platform.params import page_number
from app.platform.sessions import renew_session

bp = Blueprint("auth", __name__, template_folder="templates")
oplog_bp = Blueprint("oplog", __name__, url_prefix="/admin", template_folder="templates")
# A fixed hash to compare against when the user does not exist, so both paths take the same time.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return _home()


def _home() -> str:
    """Where a signed-in person starts: the first page of the main menu they may open (the inbox for most; an
    employer awaiting approval its organisation's status)."""
    if not current_user.is_authenticated:
        return url_for("auth.login")
    me = principal()
    for entry in registry().nav("main"):
        if entry.permission is None or me.can(entry.permission):
            return url_for(entry.endpoint)
    return url_for("inbox.index")


@bp.get("/home")
@login_only
def home():
    return redirect(_home())


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(_home())
    error = None
    status = 200
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not username or not password:
            error, status = _("Enter your user name and password."), 400
        else:
            attempt = throttle.begin_attempt(username, request.remote_addr)
            if not attempt.allowed:
                error, status = _("Too many failed sign-ins. Try again in 15 minutes."), 429
            else:
                user = queries.user_by_name(username)
                valid = check_password_hash(user.password_hash if user and user.password_hash else _DUMMY_HASH,
                                            password)
                if user is not None and valid and user.active:
                    throttle.succeeded(attempt)
                    session.clear()
                    login_user(user)
                    session.permanent = True
                    return redirect(_safe_next(request.args.get("next")))
                error, status = _("User name or password is wrong."), 401
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
@login_only
def logout():
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


PASSWORD_PROBLEMS = {
    "wrong": _l("The current password is wrong."),
    "mismatch": _l("The two new passwords differ."),
    "unchanged": _l("The new password must differ from the current one."),
    passwords.TOO_SHORT: _l("At least %(n)s characters.", n=passwords.MIN_LENGTH),
    passwords.TOO_LONG: _l("At most %(n)s characters.", n=passwords.MAX_LENGTH),
    passwords.TOO_SIMPLE: _l("Use letters and also digits or symbols."),
    passwords.IS_USER_NAME: _l("The password must not contain your user name."),
}


@bp.route("/account/password", methods=["GET", "POST"])
@login_only
def password():
    """Change one's own password; every other session of the account ends, this one goes on under a new id."""
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        attempt = throttle.begin_account_attempt(current_user.username)
        if not attempt.allowed:
            errors, status = {"current": [_("Too many failed attempts. Try again in 15 minutes.")]}, 429
        else:
            try:
                services.change_password(current_user.id, request.form.get("current", ""),
                                         request.form.get("new", ""), request.form.get("repeated", ""))
            except services.PasswordRefused as refused:
                if "current" not in refused.errors:
                    throttle.succeeded(attempt)
                errors = {field: [str(PASSWORD_PROBLEMS.get(code, code)) for code in codes]
                          for field, codes in refused.errors.items()}
                status = 422
            else:
                throttle.succeeded(attempt)
                renew_session()
                flash(_("Your password was changed. You were signed out everywhere else."), "success")
                return redirect(url_for("inbox.index"))
    return render_template("auth/password.html", errors=errors), status


@bp.post("/language")
@public
def language():
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            services.set_locale(current_user.id, lang)
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))


@oplog_bp.get("/oplog")
@permission_required("oplog.view")
def index():
    page = page_number()
    return render_template("admin/oplog.html", rows=oplog.entries(page, params.text(request.args, "user", 80)), page=page)
