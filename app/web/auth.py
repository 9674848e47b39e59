"""Sign in, sign out, language choice."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import User
from app.platform.extensions import db
from app.web.security import clear_login_failures, login_locked, login_only, public, record_login_failure

bp = Blueprint("auth", __name__)
LANGUAGES = ("zh_CN", "en")
# A fixed hash to compare against when the user does not exist, so both paths take the same time.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    error = None
    status = 200
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not username or not password:
            error, status = _("Enter your user name and password."), 400
        elif login_locked(username):
            error, status = _("Too many failed sign-ins. Try again in 15 minutes."), 429
        else:
            user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
            valid = check_password_hash(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
            if user is not None and valid and user.active:
                clear_login_failures(username)
                session.clear()
                login_user(user)
                session.permanent = True
                return redirect(_safe_next(request.args.get("next")))
            record_login_failure(username)
            error, status = _("User name or password is wrong."), 401
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
@login_only
def logout():
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
def language():
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))
