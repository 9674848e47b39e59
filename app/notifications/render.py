"""A notification's title and body in a given language (the reader's, for the page, the e-mail, the bell)."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import datetime

from flask_babel import force_locale, format_datetime, get_translations

from app.platform.source_texts import source_text

log = logging.getLogger(__name__)


class _Params(dict):
    def __missing__(self, key: str) -> str:  # a text that names a parameter the caller did not give
        return ""


def _value(value) -> str:
    if isinstance(value, Mapping):
        if "t" in value:  # a text of the catalogues, e.g. a BPMN task name
            return source_text(str(value["t"]))
        if "dt" in value:
            return format_datetime(datetime.fromisoformat(value["dt"]), "short")
    return "" if value is None else str(value)


def render_text(msgid: str | None, params: Mapping | None) -> str:
    """`msgid` translated into the current locale, with its parameters filled in."""
    if not msgid:
        return ""
    template = get_translations().ugettext(msgid)
    values = _Params({k: _value(v) for k, v in (params or {}).items()})
    try:
        return template % values
    except (TypeError, ValueError):  # a translation whose placeholders do not fit: show the source
        log.warning("notification text %r does not fit its parameters", msgid)
        return msgid


def render(title: str, body: str | None, params: Mapping | None, locale: str | None = None) -> tuple[str, str]:
    """(title, body) in `locale` (None: the current one)."""
    with force_locale(locale) if locale else nullcontext():
        return render_text(title, params), render_text(body, params)
