"""The field tree of a form: one FieldSpec per field, with what the templates need to render it, and the
names fields have in HTML (dotted data paths; see app/forms/__init__.py)."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.forms import uploads as _uploads
from app.forms.messages import RejectedUpload, current_locale, is_zh, ui_text
from app.platform.clock import LOCAL_TZ

ACTION_FIELD = "__action__"
ROW_MARKER = "__row__"
CLEAR_SUFFIX = "__clear__"
INDEX_TOKEN = "__INDEX__"
DEFAULT_LOCALE = "zh_CN"

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "<absent>", "__bool__": lambda self: False})()


class FormDefinitionError(Exception):
    """A form file that cannot be used: unsafe name, missing, bad JSON, invalid schema, unknown widget."""


WIDGETS = {
    "text", "textarea", "password", "email", "tel", "url", "date", "datetime", "number", "range",
    "checkbox", "select", "radio", "checkboxes", "file", "hidden", "object", "array",
}
_UI_WIDGET_ALIASES = {
    "phone": "tel", "tel": "tel", "uri": "url", "url": "url", "date-time": "datetime", "datetime": "datetime",
    "datetime-local": "datetime", "updown": "number", "data-url": "file", "TextareaWidget": "textarea",
    "SelectWidget": "select", "RadioWidget": "radio", "CheckboxWidget": "checkbox",
    "CheckboxesWidget": "checkboxes",
}
_INPUT_TYPES = {
    "text": "text", "password": "password", "email": "email", "tel": "tel", "url": "url", "date": "date",
    "datetime": "datetime-local", "number": "number", "range": "range", "hidden": "hidden",
}
_BAD_KEY = re.compile(r"[.\s\[\]]|\A\d+\Z|\A__")


@dataclass(frozen=True)
class Choice:
    value: Any      # the JSON value
    label: str      # what people see
    input: str      # the HTML value attribute


@dataclass(frozen=True)
class Condition:
    """``if`` of a JSON Schema if/then/else on one sibling field: it holds when that field's value is one
    of ``values`` (or, for an ``else`` branch, is not)."""

    key: str                   # the controlling sibling's property name
    name: str                  # its HTML input name (data path)
    values: tuple[Any, ...]    # JSON values
    inputs: tuple[str, ...]    # the same as HTML input values
    negate: bool = False

    def holds(self, value: Any) -> bool:
        matched = value is not ABSENT and any(input_str(value) == input_str(v) for v in self.values)
        return matched != self.negate

    @property
    def json(self) -> str:
        return json.dumps({"field": self.name, "values": list(self.inputs), "negate": self.negate},
                          ensure_ascii=False)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form. ``path``/``name`` are the dotted data path (``rows.0.qty``; the row template
    uses ``rows.__INDEX__.qty``), ``key`` the last segment. ``type`` is the JSON type or ``file``;
    ``widget`` one of WIDGETS. ``children`` for objects, ``items`` (the row template) for arrays."""

    path: str
    key: str
    label: str
    type: str
    widget: str
    required: bool = False
    readonly: bool = False
    description: str | None = None
    help: str | None = None
    placeholder: str | None = None
    enum: tuple[Any, ...] | None = None
    enum_labels: tuple[str, ...] | None = None
    format: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    default: Any = None
    has_default: bool = False
    accept: tuple[str, ...] = ()
    max_size: int | None = None
    children: tuple[FieldSpec, ...] = ()
    items: FieldSpec | None = None
    show_when: Condition | None = None            # only shown (and kept) while this holds
    required_when: tuple[Condition, ...] = ()     # required while any of these holds
    options: Mapping[str, Any] = field(default_factory=dict)
    schema: Mapping[str, Any] = field(default_factory=dict, repr=False)
    _row_builder: Callable[[str], FieldSpec] | None = field(default=None, repr=False, compare=False)

    @property
    def required_when_json(self) -> str:
        return "[" + ",".join(c.json for c in self.required_when) + "]"

    # -- identity in HTML
    @property
    def name(self) -> str:
        return self.path

    @property
    def id(self) -> str:
        return "f-" + self.path if self.path else "f-root"

    @property
    def error_id(self) -> str:
        return self.id + "-error"

    @property
    def help_id(self) -> str:
        return self.id + "-help"

    @property
    def description_id(self) -> str:
        return self.id + "-desc"

    @property
    def file_hint_id(self) -> str:
        return self.id + "-accept"

    def describedby(self, has_errors: bool = False) -> str:
        """ids for aria-describedby: description, help, file limits, then the error message."""
        ids = []
        if self.description:
            ids.append(self.description_id)
        if self.help:
            ids.append(self.help_id)
        if self.type == "file" and not self.readonly:
            ids.append(self.file_hint_id)
        if has_errors:
            ids.append(self.error_id)
        return " ".join(ids)

    # -- widgets
    @property
    def input_type(self) -> str:
        return _INPUT_TYPES.get(self.widget, "text")

    @property
    def step(self) -> str | None:
        if self.multiple_of is not None:
            return _num(self.multiple_of)
        if self.type == "integer":
            return "1"
        if self.type == "number":
            return "any"
        return None

    @property
    def inputmode(self) -> str | None:
        if self.widget == "number":
            return "numeric" if self.type == "integer" else "decimal"
        return None

    @property
    def autocomplete(self) -> str | None:
        return {"email": "email", "tel": "tel", "url": "url"}.get(self.widget)

    @property
    def html_accept(self) -> str:
        return _uploads.html_accept(self.accept)

    @property
    def accept_labels(self) -> list[str]:
        return _uploads.accept_labels(self.accept)

    @property
    def max_size_text(self) -> str:
        return _uploads.format_size(self.max_size or _uploads.DEFAULT_MAX_SIZE)

    def limits_text(self, types_word: str | None = None, size_word: str | None = None) -> str:
        """``支持的文件类型：PDF、PNG；大小上限：5 MB`` (the words as the template translated them)."""
        zh = is_zh(current_locale())
        types_word = ui_text(types_word or "Accepted file types:")
        size_word = ui_text(size_word or "Maximum size:")
        sep, joiner = ("；", "、") if zh else ("; ", ", ")
        space = "" if zh else " "
        return (f"{types_word}{space}{joiner.join(self.accept_labels)}{sep}"
                f"{size_word}{space}{self.max_size_text}")

    @property
    def is_choice(self) -> bool:
        return self.enum is not None

    @property
    def is_phone(self) -> bool:
        return self.format == "phone"

    @property
    def choices(self) -> tuple[Choice, ...]:
        if self.type == "boolean" and self.enum is None:
            return (Choice(True, ui_text("Yes"), "true"), Choice(False, ui_text("No"), "false"))
        items = self.items if self.widget == "checkboxes" and self.items is not None else self
        values = items.enum or ()
        labels = items.enum_labels or tuple(plain(v) for v in values)
        return tuple(Choice(v, labels[i] if i < len(labels) else plain(v), input_str(v))
                     for i, v in enumerate(values))

    def is_chosen(self, value: Any, choice: Choice) -> bool:
        if isinstance(value, list):
            return any(input_str(v) == choice.input for v in value)
        return value is not None and value is not ABSENT and input_str(value) == choice.input

    # -- arrays
    def row(self, index: int | str) -> FieldSpec:
        """The item spec of row ``index`` (``__INDEX__`` for the JavaScript template)."""
        if self._row_builder is None:
            raise TypeError(f"{self.path or 'form'} is not an array of rows")
        return self._row_builder(str(index))

    @property
    def row_template(self) -> FieldSpec:
        return self.row(INDEX_TOKEN)

    @property
    def item_label(self) -> str:
        if self.items is not None and self.items.schema.get("title"):
            return str(self.items.schema["title"])
        return self.label

    @property
    def addable(self) -> bool:
        return not self.readonly and self.options.get("addable", True) is not False

    @property
    def removable(self) -> bool:
        return not self.readonly and self.options.get("removable", True) is not False

    @property
    def is_template(self) -> bool:
        return INDEX_TOKEN in self.path.split(".")

    # -- values
    def input_value(self, value: Any) -> str:
        """The ``value`` attribute for this field's input."""
        if value is None or value is ABSENT or isinstance(value, (dict, list, RejectedUpload)):
            return ""
        if self.widget == "datetime" and isinstance(value, str):
            return _datetime_local(value)
        return input_str(value)

    def display(self, value: Any) -> str:
        """Read-only text for ``value``."""
        if value is None or value is ABSENT or value == "" or value == []:
            return ui_text("Not provided")
        if self.type == "file" and isinstance(value, dict):
            return f"{value.get('name', '')} ({_uploads.format_size(int(value.get('size') or 0))})"
        if isinstance(value, list):
            return "、".join(self._label_of(v) for v in value) if is_zh(current_locale()) \
                else ", ".join(self._label_of(v) for v in value)
        return self._label_of(value)

    def _label_of(self, value: Any) -> str:
        for choice in self.choices:
            if input_str(choice.value) == input_str(value):
                return choice.label
        if isinstance(value, bool):
            return ui_text("Yes") if value else ui_text("No")
        if self.widget == "datetime" and isinstance(value, str):
            return _datetime_local(value).replace("T", " ")
        return plain(value)

    def walk(self) -> Iterator[FieldSpec]:
        """This field and every field below it (array items as their template row)."""
        yield self
        for child in self.children:
            yield from child.walk()
        if self.items is not None and self.widget == "array":
            yield from self.items.walk()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def input_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value)


def plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _datetime_local(value: str) -> str:
    """An ISO date-time as the value of <input type=datetime-local> in China time."""
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(LOCAL_TZ)
    text = parsed.strftime("%Y-%m-%dT%H:%M:%S")
    return text[:-3] if text.endswith(":00") else text


def is_index(seg: str) -> bool:
    """A row index in a field path: ASCII digits only (`"²".isdigit()` is true, `int("²")` fails)."""
    return seg.isascii() and seg.isdigit()


def get_path(values: Any, path: str) -> Any:
    cur = values
    if not path:
        return cur
    for seg in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(seg)
        elif isinstance(cur, list) and is_index(seg) and int(seg) < len(cur):
            cur = cur[int(seg)]
        else:
            return None
        if cur is None:
            return None
    return cur


def set_path(data: Any, path: str, value: Any) -> None:
    segs = path.split(".")
    cur = data
    for seg in segs[:-1]:
        if isinstance(cur, list):
            cur = cur[int(seg)]
        else:
            cur = cur.setdefault(seg, {})
    if isinstance(cur, list):
        cur[int(segs[-1])] = value
    else:
        cur[segs[-1]] = value
