"""Reading the instance list's filter from query parameters: bad values come back as field messages."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.platform.params import calendar_date, whole_number
from app.reporting.operations import STATES, InstanceFilter

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def parse_date(args: MultiDict, key: str, errors: dict[str, str], default: date | None = None) -> date | None:
    """The date in `args[key]` (YYYY-MM-DD), `default` when empty; a bad one adds a message to `errors`."""
    value = (args.get(key) or "").strip()
    if not value:
        return default
    day = calendar_date(value)
    if day is None:
        errors[key] = _("Enter a date as YYYY-MM-DD.")
        return default
    return day


def instance_filter(args: MultiDict) -> tuple[InstanceFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    version = (args.get("version") or "").strip()
    if version and whole_number(version, 1, 999_999) is None:
        errors["version"] = _("Enter a version number.")
    state = (args.get("state") or "").strip() or None
    if state is not None and state not in STATES:
        errors["state"] = _("Choose one of the listed states.")
    variable = (args.get("variable") or "").strip() or None
    if variable is not None and (len(variable) > 80 or not set(variable) <= _NAME_CHARS):
        errors["variable"] = _("A field name has letters, digits and underscores only.")
    value = args.get("value")
    if variable and value is None:
        value = ""
    found = InstanceFilter(
        process_key=(args.get("process") or "").strip()[:255] or None,
        version=whole_number(version) if "version" not in errors else None,
        state=state if "state" not in errors else None,
        business_key=(args.get("business_key") or "").strip()[:120] or None,
        started_from=parse_date(args, "started_from", errors),
        started_to=parse_date(args, "started_to", errors),
        variable=variable if "variable" not in errors else None,
        value=(value or "")[:200] if variable else None,
    )
    return found, errors


def as_query(f: InstanceFilter) -> dict[str, str]:
    """The filter as the list page's query parameters."""
    names = {"process_key": "process"}
    return {names.get(k, k): v for k, v in f.params().items()}
