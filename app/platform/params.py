"""Reading request parameters strictly, the same way on every page: a value a parameter cannot take answers
400 here, never a 500 from deeper down (an id PostgreSQL's INTEGER cannot hold, `²` which `str.isdigit()`
accepts and `int()` refuses, a NUL byte PostgreSQL refuses in text, a date whose local midnight is outside
what Python's datetime can hold).

- Path ids: `<int:...>` is `StrictInteger` (ASCII digits, at most 2^31-1): anything else matches no route, 404.
- Control characters in the path or in a query parameter, and NUL in a posted form field: 400 before any
  view runs (`reject_control_characters`).
- Ids handed over to a view: `object_id` (a larger one is no such object: 404).
- Lenient readers that answer None (the page shows its own field message): `whole_number`, `calendar_date`,
  `date_value`, `local_datetime`; `text_value` trims and cuts a free text.
- Query and form values: `integer`, `page_number`, `iso_date`, `text`, `choice` over any mapping
  (`request.args`, `request.form`, `request.values`); `whole_number` and `calendar_date` where a
  page shows its own field error.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime

from flask import abort, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from app.platform.clock import LOCAL_TZ

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER; the ids of every table fit
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)
MAX_PAGE = 999_999
_DIGITS = re.compile(r"[0-9]{1,10}\Z")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadParameter(BadRequest):
    """400 naming the parameter (shown on the error page)."""

    def __init__(self, name: str):
        super().__init__(_("The parameter “%(name)s” has a value it cannot take.", name=name[:40]))
        self.parameter = name


class StrictInteger(IntegerConverter):
    """`<int:...>` in every route: ASCII digits only and at most MAX_ID (werkzeug's takes any size)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        limit = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=limit, signed=False)


def install(app) -> None:
    """Before any blueprint is registered: the strict id converter and the control-character check."""
    app.url_map.converters["int"] = StrictInteger
    app.before_request(reject_control_characters)


def reject_control_characters() -> None:
    if _CONTROL.search(request.path):
        raise BadParameter("path")
    for name, value in request.args.items(multi=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            raise BadParameter(name)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise BadParameter(name)


def whole_number(raw: str | None, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """`raw` (trimmed) as a whole number in [minimum, maximum] written in ASCII digits, else None: the one
    way to read a number typed by someone (for a field error of one's own rather than a 400)."""
    raw = (raw or "").strip()
    if not _DIGITS.match(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def integer(args: Mapping[str, str], name: str, default: int | None = None, *, minimum: int = 0,
            maximum: int = MAX_ID) -> int | None:
    """An optional whole number in [minimum, maximum] (blank: `default`)."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    value = whole_number(raw, minimum, maximum)
    if value is None:
        raise BadParameter(name)
    return value


def page_number(args: Mapping[str, str] | None = None) -> int:
    """The `page` query parameter: 1 when absent, else a number from 1 to MAX_PAGE."""
    return integer(request.args if args is None else args, "page", 1, minimum=1, maximum=MAX_PAGE)


def calendar_date(raw: str | None) -> date | None:
    """`raw` (trimmed) as a date written YYYY-MM-DD between FIRST_DATE and LAST_DATE, else None (its local
    midnight then always fits a datetime, in any time zone)."""
    raw = (raw or "").strip()
    try:
        value = date.fromisoformat(raw) if _ISO_DATE.match(raw) else None
    except ValueError:
        return None
    return value if value is not None and FIRST_DATE <= value <= LAST_DATE else None


def iso_date(args: Mapping[str, str], name: str) -> date | None:
    """An optional date written YYYY-MM-DD between FIRST_DATE and LAST_DATE."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = calendar_date(raw)
    if value is None:
        raise BadParameter(name)
    return value


def text(args: Mapping[str, str], name: str, max_length: int = 200) -> str | None:
    """An optional line of text, trimmed and cut to `max_length`; control characters answer 400."""
    raw = (args.get(name) or "").strip()
    if _CONTROL.search(raw):
        raise BadParameter(name)
    return raw[:max_length] or None


def choice(args: Mapping[str, str], name: str, choices: Collection[str], default: str | None = None) -> str | None:
    """One of `choices` (blank: `default`)."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise BadParameter(name)
    return raw


def object_id(value: int) -> int:
    """An id from the URL that a database column can hold (larger: no such object)."""
    if not 0 < value <= MAX_ID:
        abort(404)
    return value


def date_value(raw: str | None) -> date | None:
    """An ISO date in the years 2000-2100 (a form's date field), else None."""
    try:
        value = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def local_datetime(raw: str | None) -> datetime | None:
    """An ISO time (<input type=datetime-local>, a slot button; the office's time when it has no offset) in
    the years 2000-2100 as an aware datetime, else None."""
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if not 2000 <= value.year <= 2100:
        return None
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value


def text_value(raw: str | None, limit: int) -> str:
    """A free text trimmed, without NUL, cut to `limit` characters ("" for none)."""
    return (raw or "").replace("\x00", "").strip()[:limit]
