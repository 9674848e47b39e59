"""Which language a request is answered in: Chinese first, English second."""
from __future__ import annotations

from flask import has_request_context, request, session
from flask_login import current_user

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def select_locale() -> str:
    """`?lang=`, else the session's choice, else the signed-in user's, else Chinese (also outside requests:
    a worker rendering something, unless force_locale says otherwise)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    lang = request.args.get("lang") or session.get("lang")
    if not lang and current_user.is_authenticated:
        lang = current_user.locale
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE
