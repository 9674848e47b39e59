"""Which language a request is answered in: Chinese first, English second."""
from __future__ import annotations

from flask import has_request_context, request, session

from app.platform.actor import current_actor

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def select_locale() -> str:
    """`?lang=`, else the session's choice, else the signed-in user's, else Chinese (also outside requests:
    a worker rendering something, unless force_locale says otherwise)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    lang = request.args.get("lang") or session.get("lang")
    if not lang and (actor := current_actor()) is not None:
        lang = actor.locale
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE
