"""Decoding a posted HTML form into typed JSON data (only the form's fields), and the add/remove-row buttons
that work without JavaScript."""
from __future__ import annotations

import copy
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from app.forms import uploads as _uploads
from app.forms.fields import ABSENT, ACTION_FIELD, CLEAR_SUFFIX, FieldSpec, get_path, is_index, set_path
from app.forms.messages import RejectedUpload
from app.forms.rendering import new_row
from app.platform.clock import LOCAL_TZ
from app.platform.formats import normalise_phone

if TYPE_CHECKING:
    from app.forms.schema import Form

_INT = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)
_DATE_LOOSE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\Z", re.ASCII)
_DT_LOCAL = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?\Z", re.ASCII)


def _to_number(raw: str, integer: bool) -> Any:
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if not text:
        return ABSENT
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        value = float(text)
        if math.isfinite(value):
            return int(value) if integer and value.is_integer() else value
    return raw.strip()  # kept as typed: validation reports the type error


def _to_date(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    m = _DATE_LOOSE.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return text
    return text


def _to_datetime(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    m = _DT_LOCAL.match(text)
    if m:
        try:
            parsed = datetime.fromisoformat(f"{m[1]}T{m[2]}{m[3] or ':00'}")
        except ValueError:
            return text
        return parsed.replace(tzinfo=LOCAL_TZ).isoformat()
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    return parsed.isoformat()


class _Ctx:
    def __init__(self, formdata: Any, files: Any, uploads: Any, keep_blank_rows: bool):
        self.formdata = formdata
        self.files = files
        self.uploads = uploads
        self.keep_blank_rows = keep_blank_rows
        self.keys = set(formdata.keys()) | (set(files.keys()) if files is not None else set())

    def get(self, name: str) -> str | None:
        value = self.formdata.get(name)
        return value if isinstance(value, str) else None

    def getlist(self, name: str) -> list[str]:
        if hasattr(self.formdata, "getlist"):
            return [v for v in self.formdata.getlist(name) if isinstance(v, str)]
        value = self.formdata.get(name)
        return [value] if isinstance(value, str) else list(value or [])

    def indices(self, path: str) -> list[int]:
        prefix = path + "."
        found = set()
        for key in self.keys:
            if key.startswith(prefix):
                seg = key[len(prefix):].split(".", 1)[0]
                if is_index(seg) and len(seg) <= 6:
                    found.add(int(seg))
        return sorted(found)


def _readonly_value(spec: FieldSpec, existing: Any) -> tuple[Any, bool]:
    if existing is not ABSENT and existing is not None:
        return copy.deepcopy(existing), True
    if spec.has_default:
        return copy.deepcopy(spec.default), False
    return ABSENT, False


def _parse(spec: FieldSpec, ctx: _Ctx, existing: Any) -> tuple[Any, bool]:
    """(value or ABSENT, filled): ``filled`` tells whether the person entered anything here."""
    if spec.readonly:
        return _readonly_value(spec, existing)
    name = spec.name
    if spec.widget == "object":
        out: dict[str, Any] = {}
        filled = False
        existing_obj = existing if isinstance(existing, dict) else {}
        for child in spec.children:
            value, child_filled = _parse(child, ctx, existing_obj.get(child.key, ABSENT))
            filled = filled or child_filled
            if value is not ABSENT:
                out[child.key] = value
        for child in spec.children:  # a branch's field whose condition does not hold is not kept
            if child.show_when is not None and not child.show_when.holds(out.get(child.show_when.key, ABSENT)):
                out.pop(child.key, None)
        if not filled and not spec.required and spec.path and not is_index(spec.key):  # rows stay objects
            return ABSENT, False
        return out, filled
    if spec.widget == "array":
        rows = []
        existing_rows = existing if isinstance(existing, list) else []
        for index in ctx.indices(name):
            row_spec = spec.row(index)
            prior = existing_rows[index] if index < len(existing_rows) else ABSENT
            value, filled = _parse(row_spec, ctx, prior)
            if filled or ctx.keep_blank_rows:
                if value is ABSENT:
                    value = {} if row_spec.widget == "object" else None
                rows.append(value)
        if not rows and spec.required and not ctx.keep_blank_rows:
            return ABSENT, False
        return rows, bool(rows)
    if spec.widget == "checkboxes":
        assert spec.items is not None
        chosen = [_choice_value(spec.items, raw) for raw in ctx.getlist(name) if raw != ""]
        if not chosen and spec.required:
            return ABSENT, False
        return chosen, bool(chosen)
    if spec.type == "file":
        return _parse_file(spec, ctx, existing)
    if spec.widget == "checkbox":
        checked = ctx.get(name) in ("true", "on", "1", "yes")
        return checked, checked
    raw = ctx.get(name)
    if raw is None:
        return ABSENT, False
    value = _scalar(spec, raw)
    return value, value is not ABSENT


def _choice_value(spec: FieldSpec, raw: str) -> Any:
    for choice in spec.choices:
        if choice.input == raw:
            return copy.deepcopy(choice.value)
    return raw  # not one of the options: validation reports it


def _scalar(spec: FieldSpec, raw: str) -> Any:
    if spec.widget == "textarea":
        text = raw.replace("\r\n", "\n").replace("\r", "\n")
        return text.strip() if text.strip() else ABSENT
    if raw.strip() == "":
        return ABSENT
    if spec.is_choice or spec.type == "boolean":
        return _choice_value(spec, raw.strip())
    if spec.type in ("integer", "number"):
        return _to_number(raw, spec.type == "integer")
    if spec.widget == "date" or spec.format == "date":
        return _to_date(raw)
    if spec.widget == "datetime" or spec.format in ("date-time", "future-date-time"):
        return _to_datetime(raw)
    if spec.is_phone:
        return normalise_phone(raw)
    return raw.strip()


def _parse_file(spec: FieldSpec, ctx: _Ctx, existing: Any) -> tuple[Any, bool]:
    storage = ctx.files.get(spec.name) if ctx.files is not None else None
    if storage is not None and getattr(storage, "filename", None):
        if ctx.uploads is None:
            raise TypeError("a file was posted: pass uploads=UploadBatch(...) to parse_submission")
        try:
            return ctx.uploads.stage(storage, accept=spec.accept, max_size=spec.max_size), True
        except _uploads.UploadRejected as err:
            return RejectedUpload(err.code, err.params, _uploads.clean_filename(storage.filename)), True
    if ctx.get(f"{spec.name}.{CLEAR_SUFFIX}") in ("true", "on", "1") and not spec.required:
        return ABSENT, False
    if _uploads.is_reference(existing):
        return copy.deepcopy(existing), True
    return ABSENT, False


def parse_submission(form: Form, formdata: Any, files: Any = None, existing: Mapping[str, Any] | None = None,
                     *, uploads: _uploads.UploadBatch | None = None, keep_blank_rows: bool = False) -> dict:
    """The posted form as typed JSON data (only the form's fields).

    Empty inputs are left out; a number that does not parse is kept as the typed string so that
    ``validate`` reports a type error; read-only fields come from ``existing`` (else the schema default),
    never from the submission; a file is staged in ``uploads`` (a refused file becomes a RejectedUpload
    that ``validate`` reports); rows of arrays whose inputs are all empty are dropped unless
    ``keep_blank_rows`` (used when re-rendering for an add/remove-row button)."""
    ctx = _Ctx(formdata, files, uploads, keep_blank_rows)
    value, _ = _parse(form.root, ctx, dict(existing or {}))
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class RowAction:
    kind: str   # "add" | "remove"
    path: str   # add: the array's path; remove: the row's path (``rows.2``)


def row_action(formdata: Any) -> RowAction | None:
    """The add/remove-row button that submitted the form (no JavaScript), or None for a real submit."""
    raw = formdata.get(ACTION_FIELD) if formdata is not None else None
    if not isinstance(raw, str) or ":" not in raw:
        return None
    kind, _, path = raw.partition(":")
    if kind not in ("add", "remove") or not path or len(path) > 500:
        return None
    return RowAction(kind, path)


def apply_row_action(form: Form, data: dict, action: RowAction) -> dict:
    """A copy of ``data`` with a row added or removed (ignored when the path is not a row of an editable
    array or the limits forbid it)."""
    data = copy.deepcopy(data)
    if action.kind == "add":
        array_path = action.path
    else:
        array_path, _, index = action.path.rpartition(".")
        if not is_index(index):
            return data
    try:
        spec = form.field(array_path)
    except (KeyError, TypeError):
        return data
    if spec.widget != "array" or spec.readonly:
        return data
    rows = get_path(data, array_path)
    if not isinstance(rows, list):
        rows = []
        set_path(data, array_path, rows)
    if action.kind == "add" and spec.addable and (spec.max_items is None or len(rows) < spec.max_items):
        rows.append(new_row(spec))
    elif action.kind == "remove" and spec.removable:
        i = int(action.path.rpartition(".")[2])
        if i < len(rows):
            rows.pop(i)
    return data
