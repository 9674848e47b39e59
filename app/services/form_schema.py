"""Task forms: a JSON Schema + UI schema pair (SpiffArena / react-jsonschema-form files) rendered on the
server, parsed back from the posted HTML form, and validated with ``jsonschema`` (Draft 7).

No Flask here except two soft touches: ``flask_babel.lazy_gettext`` marks the English message strings
for the Babel catalogue, and, inside a request, the current Babel locale picks the message language
(zh_CN by default). Everything works, and is tested, without an application.

Field names in HTML
-------------------
The ``name`` of every input is its dotted data path: ``employer.contact.phone``, ``rows.0.qty``
(array index as a path segment). Each row of an array carries a marker ``rows.0.__row__`` so a row
whose inputs are all empty (or unchecked) still exists when the server re-renders it. The template
row for JavaScript uses the index ``__INDEX__``. Buttons ``name="__action__"`` with values
``add:<array path>`` / ``remove:<row path>`` add or remove rows without JavaScript (``row_action`` +
``apply_row_action``); ``value="submit"`` submits. A file field's "remove current file" checkbox is
``<path>.__clear__``. Property names therefore may not contain ``.``, whitespace or brackets, may not
be all digits and may not start with ``__``.

Typical route::

    form = load_form(forms_dir, task.form_schema, task.ui_schema)
    if request.method == "GET":
        return render(form, values=initial_values(form, task.data), errors={})
    action = row_action(request.form)
    if action:   # "add row"/"remove row" without JavaScript: re-render, no validation, no upload
        data = parse_submission(form, request.form, None, task.data, keep_blank_rows=True)
        return render(form, values=apply_row_action(form, data, action), errors={})
    with UploadBatch(uploads_dir) as batch:
        data = parse_submission(form, request.form, request.files, task.data, uploads=batch)
        errors = validate(form, data)
        if errors:   # nothing kept: the batch discards its staged files on exit
            return render(form, values=redisplay_values(form, data, task.data), errors=errors), 422
        batch.commit()
    complete_task(task, merge_submission(form, task.data, data))
"""
from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from app.services import uploads as _uploads

try:  # the catalogue marker; plain strings when Flask-Babel is absent
    from flask_babel import lazy_gettext as _l
except ImportError:  # pragma: no cover
    def _l(string: str, **_: Any) -> str:  # type: ignore[misc]
        return string

__all__ = [
    "ACTION_FIELD", "Choice", "FieldError", "FieldSpec", "Form", "FormDefinitionError", "RejectedUpload",
    "RowAction", "apply_row_action", "initial_values", "load_form", "merge_submission", "parse_submission",
    "redisplay_values", "row_action", "ui_text", "validate",
]

ACTION_FIELD = "__action__"
ROW_MARKER = "__row__"
CLEAR_SUFFIX = "__clear__"
INDEX_TOKEN = "__INDEX__"
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
DEFAULT_LOCALE = "zh_CN"

_ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "<absent>", "__bool__": lambda self: False})()


class FormDefinitionError(Exception):
    """A form file that cannot be used: unsafe name, missing, bad JSON, invalid schema, unknown widget."""


# --------------------------------------------------------------------------------------------- messages

#: error code -> (English source, 中文). The English strings go to the Babel catalogue through lazy_gettext;
#: the Chinese text is used directly so the product reads Chinese even without a compiled catalogue.
MESSAGES: dict[str, tuple[Any, str]] = {
    "required": (_l("This field is required."), "此项为必填项。"),
    "type": (_l("Enter a valid %(expected)s."), "请输入有效的%(expected)s。"),
    "enum": (_l("Choose one of the listed options."), "请从列表中选择一个选项。"),
    "const": (_l("This value is not allowed."), "该值不符合要求。"),
    "accepted": (_l("Tick this box to continue."), "请勾选此项后再提交。"),
    "minLength": (_l("Enter at least %(limit)s characters."), "请至少输入 %(limit)s 个字符。"),
    "maxLength": (_l("Enter no more than %(limit)s characters."), "最多输入 %(limit)s 个字符。"),
    "pattern": (_l("The value is not in the expected format."), "格式不正确，请按要求填写。"),
    "minimum": (_l("Enter a value of at least %(limit)s."), "不能小于 %(limit)s。"),
    "maximum": (_l("Enter a value of at most %(limit)s."), "不能大于 %(limit)s。"),
    "exclusiveMinimum": (_l("Enter a value greater than %(limit)s."), "必须大于 %(limit)s。"),
    "exclusiveMaximum": (_l("Enter a value less than %(limit)s."), "必须小于 %(limit)s。"),
    "multipleOf": (_l("Enter a multiple of %(limit)s."), "必须是 %(limit)s 的整数倍。"),
    "minItems": (_l("Add at least %(limit)s entries."), "至少需要填写 %(limit)s 项。"),
    "maxItems": (_l("Add no more than %(limit)s entries."), "最多只能填写 %(limit)s 项。"),
    "uniqueItems": (_l("Entries must not repeat."), "各项不能重复。"),
    "format": (_l("The value is not in a valid format."), "格式不正确。"),
    "format:email": (_l("Enter a valid email address, like name@example.com."),
                     "请输入有效的电子邮箱地址，例如 name@example.com。"),
    "format:date": (_l("Enter a valid date (YYYY-MM-DD)."), "请输入有效的日期（年-月-日）。"),
    "format:date-time": (_l("Enter a valid date and time."), "请输入有效的日期和时间。"),
    "format:phone": (_l("Enter a valid mobile number (11 digits) or landline, like 010-12345678."),
                     "请输入有效的手机号码（11 位）或固定电话，例如 010-12345678。"),
    "format:uri": (_l("Enter a valid web address, like https://example.com."),
                   "请输入有效的网址，例如 https://example.com。"),
    "fileType": (_l("The file must be one of these types: %(accept)s."), "文件类型不符合要求，仅支持：%(accept)s。"),
    "fileSize": (_l("The file must be no larger than %(limit)s."), "文件大小不能超过 %(limit)s。"),
    "fileEmpty": (_l("The selected file is empty."), "所选文件为空。"),
    "invalid": (_l("This value is not valid."), "此项填写有误。"),
}

#: JSON type -> words used in the ``type`` message
TYPE_WORDS: dict[str, tuple[Any, str]] = {
    "integer": (_l("whole number"), "整数"),
    "number": (_l("number"), "数字"),
    "string": (_l("text"), "文本"),
    "boolean": (_l("yes/no answer"), "是/否选项"),
    "array": (_l("list"), "列表"),
    "object": (_l("group of answers"), "内容"),
    "null": (_l("empty value"), "空值"),
}

#: words of the form templates: English msgid -> 中文 (the template calls ``form.ui(_('Add row'))``)
UI_TEXT: dict[str, str] = {
    "Add row": "添加一行",
    "Remove": "删除",
    "Please choose": "请选择",
    "Yes": "是",
    "No": "否",
    "Current file:": "当前文件：",
    "Remove current file": "删除当前文件",
    "Accepted file types:": "支持的文件类型：",
    "Maximum size:": "大小上限：",
    "Submit": "提交",
    "There is a problem": "提交的内容有误",
    "Please correct the following and submit again.": "请修改以下内容后重新提交。",
    "Error:": "错误：",
    "No entries yet.": "暂无记录。",
    "Not provided": "未填写",
    "Row added.": "已添加一行。",
    "Row removed.": "已删除一行。",
}
# The same words, marked for the catalogue (pybabel extract -k lazy_gettext); the templates also use _().
_UI_MSGIDS = [_l("Add row"), _l("Remove"), _l("Please choose"), _l("Yes"), _l("No"),
              _l("Current file:"), _l("Remove current file"), _l("Accepted file types:"), _l("Maximum size:"),
              _l("Submit"), _l("There is a problem"), _l("Please correct the following and submit again."),
              _l("Error:"), _l("No entries yet."), _l("Not provided"), _l("Row added."), _l("Row removed.")]


def current_locale() -> str:
    """The Babel locale of the current request, else zh_CN."""
    try:
        from flask_babel import get_locale

        loc = get_locale()
    except Exception:  # noqa: BLE001 - no app, no Babel on the app: the default
        loc = None
    return str(loc) if loc else DEFAULT_LOCALE


def _is_zh(locale: str | None) -> bool:
    return (locale or DEFAULT_LOCALE).lower().replace("-", "_").startswith("zh")


def ui_text(text: str, locale: str | None = None, **params: Any) -> str:
    """A UI word in the current language. ``text`` is what gettext returned: when it is still the
    English msgid and the locale is Chinese, the built-in Chinese is used."""
    text = str(text)
    if _is_zh(locale or current_locale()) and text in UI_TEXT:
        text = UI_TEXT[text]
    return text % params if params else text


def _msgid(text: Any) -> str:
    """The English source of a lazy_gettext string (no catalogue look-up)."""
    args = getattr(text, "_args", None) if not isinstance(text, str) else None
    return str(args[0]) if args else str(text)


def _localized(pair: tuple[Any, str], locale: str, *, current: bool = False) -> str:
    """The text of a (lazy English, 中文) pair. For the current request's locale a compiled catalogue
    wins; otherwise Chinese comes from the table and English is the source string."""
    en, zh = pair
    if current and not isinstance(en, str):
        translated = str(en)
        if translated != _msgid(en):
            return translated
    if _is_zh(locale):
        return zh
    if locale.lower().startswith("en"):
        return _msgid(en)
    return str(en)  # another language: the Babel catalogue of the current request, if any


@dataclass(frozen=True)
class FieldError:
    """One problem with one field. ``path`` is the dotted data path ('' for the whole form), ``code`` a
    stable id (``required``, ``type``, ``minLength``, ``format``, ``fileType``...), ``params`` its values
    (``limit``, ``expected``, ``format``, ``pattern``, ``allowed``, ``accept``)."""

    path: str
    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def message(self, locale: str | None = None) -> str:
        """The message in ``locale`` (zh_CN, en, ...); by default the current request's, else zh_CN."""
        current = locale is None
        locale = locale or current_locale()
        key = f"format:{self.params.get('format')}" if self.code == "format" else self.code
        pair = MESSAGES.get(key) or MESSAGES.get(self.code) or MESSAGES["invalid"]
        template = _localized(pair, locale, current=current)
        zh = _is_zh(locale)
        values: dict[str, Any] = {}
        for name, value in self.params.items():
            if name == "expected":
                value = _localized(TYPE_WORDS.get(value, (value, value)), locale, current=current)
            elif name == "limit" and self.code == "fileSize":
                value = _uploads.format_size(int(value))
            elif name == "accept" and isinstance(value, (list, tuple)):
                value = ("、" if zh else ", ").join(str(v) for v in value)
            values[name] = value
        try:
            return template % values if "%(" in template else template
        except (KeyError, ValueError, TypeError):
            return template

    def __str__(self) -> str:
        return self.message()

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        return {"path": self.path, "code": self.code, "params": dict(self.params),
                "message": self.message(locale)}


@dataclass(frozen=True)
class RejectedUpload:
    """Put in parsed data where an uploaded file was refused; ``validate`` turns it into a FieldError.
    Not JSON: data holding one cannot be stored by mistake."""

    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    name: str = ""


# ---------------------------------------------------------------------------------------------- formats

_MOBILE = re.compile(r"1[3-9]\d{9}\Z", re.ASCII)
_LANDLINE = re.compile(r"(?:0\d{2,3}-?)?[1-9]\d{6,7}(?:-\d{1,6})?\Z|[48]00-?\d{3}-?\d{4}\Z", re.ASCII)
_URL = re.compile(r"https?://[^\s/?#@]+\.[^\s/?#@.]+(?::\d{1,5})?(?:[/?#]\S*)?\Z", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII)

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("phone")
def is_phone(value: object) -> bool:
    """Chinese mobile (1[3-9] + 9 digits) or landline (optional area code 0xx/0xxx, optional extension)."""
    if not isinstance(value, str):
        return True
    return bool(_MOBILE.match(value) or _LANDLINE.match(value))


@FORMAT_CHECKER.checks("email")
def is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return len(value) <= 254 and bool(_EMAIL.match(value))


@FORMAT_CHECKER.checks("uri")
def is_web_address(value: object) -> bool:
    """A web address (http/https with a host name): what a form's URL field asks for."""
    if not isinstance(value, str):
        return True
    return bool(_URL.match(value))


@FORMAT_CHECKER.checks("date")
def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@FORMAT_CHECKER.checks("date-time")
def is_datetime(value: object) -> bool:
    """RFC 3339 date-time with an offset (the built-in check needs the rfc3339-validator package)."""
    if not isinstance(value, str):
        return True
    if not _DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------------------------ field tree

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
        matched = value is not _ABSENT and any(_input_str(value) == _input_str(v) for v in self.values)
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
        zh = _is_zh(current_locale())
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
        labels = items.enum_labels or tuple(_plain(v) for v in values)
        return tuple(Choice(v, labels[i] if i < len(labels) else _plain(v), _input_str(v))
                     for i, v in enumerate(values))

    def is_chosen(self, value: Any, choice: Choice) -> bool:
        if isinstance(value, list):
            return any(_input_str(v) == choice.input for v in value)
        return value is not None and value is not _ABSENT and _input_str(value) == choice.input

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
        if value is None or value is _ABSENT or isinstance(value, (dict, list, RejectedUpload)):
            return ""
        if self.widget == "datetime" and isinstance(value, str):
            return _datetime_local(value)
        return _input_str(value)

    def display(self, value: Any) -> str:
        """Read-only text for ``value``."""
        if value is None or value is _ABSENT or value == "" or value == []:
            return ui_text("Not provided")
        if self.type == "file" and isinstance(value, dict):
            return f"{value.get('name', '')} ({_uploads.format_size(int(value.get('size') or 0))})"
        if isinstance(value, list):
            return "、".join(self._label_of(v) for v in value) if _is_zh(current_locale()) \
                else ", ".join(self._label_of(v) for v in value)
        return self._label_of(value)

    def _label_of(self, value: Any) -> str:
        for choice in self.choices:
            if _input_str(choice.value) == _input_str(value):
                return choice.label
        if isinstance(value, bool):
            return ui_text("Yes") if value else ui_text("No")
        if self.widget == "datetime" and isinstance(value, str):
            return _datetime_local(value).replace("T", " ")
        return _plain(value)

    def walk(self) -> Iterator[FieldSpec]:
        """This field and every field below it (array items as their template row)."""
        yield self
        for child in self.children:
            yield from child.walk()
        if self.items is not None and self.widget == "array":
            yield from self.items.walk()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _input_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value)


def _plain(value: Any) -> str:
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
        parsed = parsed.astimezone(CHINA_TZ)
    text = parsed.strftime("%Y-%m-%dT%H:%M:%S")
    return text[:-3] if text.endswith(":00") else text


class _Builder:
    """Builds the FieldSpec tree of one schema + UI schema."""

    def __init__(self, schema: dict, ui: dict, source: str):
        self.root_schema = schema
        self.ui = ui
        self.source = source

    def fail(self, path: str, why: str) -> FormDefinitionError:
        return FormDefinitionError(f"{self.source}: field {path or '(form)'}: {why}")

    def resolve(self, node: Any, path: str, depth: int = 0) -> dict:
        if not isinstance(node, dict):
            if node is True or node == {}:
                return {}
            raise self.fail(path, "schema must be an object")
        if "$ref" not in node:
            return node
        if depth > 20:
            raise self.fail(path, "$ref nesting too deep (recursive schemas are not rendered)")
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.fail(path, f"only local $ref is supported, not {ref!r}")
        target: Any = self.root_schema
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            else:
                raise self.fail(path, f"$ref {ref!r} not found")
        merged = dict(self.resolve(target, path, depth + 1))
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged

    def build(self, node: Any, ui: Any, *, path: str, key: str, required: bool, readonly: bool,
              fallback_label: str | None = None) -> FieldSpec:
        s = self.resolve(node, path)
        ui = ui if isinstance(ui, dict) else {}
        options = dict(ui.get("ui:options") or {})
        readonly = bool(readonly or ui.get("ui:readonly") or ui.get("ui:disabled") or s.get("readOnly")
                        or options.get("readonly"))
        jtype = self.json_type(s, path)
        enum, enum_labels = self.enum_of(s, ui)
        label = str(ui.get("ui:title") or s.get("title") or fallback_label or key or "")
        common: dict[str, Any] = dict(
            path=path, key=key, label=label, required=required, readonly=readonly,
            description=s.get("description") or ui.get("ui:description"), help=ui.get("ui:help"),
            placeholder=ui.get("ui:placeholder"), options=options, schema=s,
            default=copy.deepcopy(s.get("default")), has_default="default" in s,
        )
        ui_widget = ui.get("ui:widget")
        if ui_widget is not None and not isinstance(ui_widget, str):
            raise self.fail(path, "ui:widget must be a string")
        widget_hint = _UI_WIDGET_ALIASES.get(ui_widget, ui_widget) if ui_widget else None
        if widget_hint is not None and widget_hint not in WIDGETS:
            raise self.fail(path, f"unknown ui:widget {ui_widget!r} (supported: {', '.join(sorted(WIDGETS))},"
                                  f" phone)")

        if jtype == "file":
            try:
                accept = _uploads.normalize_accept(s.get("accept"))
            except ValueError as err:
                raise self.fail(path, str(err)) from None
            max_size = s.get("maxSize")
            if max_size is not None and (not isinstance(max_size, int) or max_size <= 0):
                raise self.fail(path, "maxSize must be a positive number of bytes")
            return FieldSpec(type="file", widget="file", accept=accept, max_size=max_size, **common)

        if jtype == "object":
            props = s.get("properties") or {}
            if not isinstance(props, dict):
                raise self.fail(path, "properties must be an object")
            req = set(s.get("required") or ())
            rules = self.branch_rules(s, props)
            own = self.branch_fields(rules, props, path)
            required_when: dict[str, list[Condition]] = {}
            for cond, branch in rules:
                for name in branch.get("required") or ():
                    if cond is not None and name in props and name not in req:
                        required_when.setdefault(name, []).append(cond)
            keys = list(props)
            last: dict[str | None, str] = {}  # a branch's own fields follow their controller, in branch order
            for name, (cond, _node, _required) in own.items():
                controller = cond.key if cond else None
                anchor = last.get(controller, controller)
                keys.insert(keys.index(anchor) + 1 if anchor in keys else len(keys), name)
                last[controller] = name
            built: dict[str, FieldSpec] = {}
            for name in keys:
                if _BAD_KEY.search(name):
                    raise self.fail(path, f"property name {name!r} cannot be used in a form "
                                          "(no '.', spaces, brackets, all digits or leading '__')")
                child_path = f"{path}.{name}" if path else name
                node_of, required_here = (props[name], name in req) if name in props else own[name][1:]
                built[name] = self.build(node_of, ui.get(name), path=child_path, key=name,
                                         required=required_here, readonly=readonly)
            children = [_with_conditions(built[name], built, own.get(name, (None,))[0], required_when.get(name, ()))
                        for name in self.ordered(keys, ui.get("ui:order"), path)]
            return FieldSpec(type="object", widget="object", children=tuple(children), **common)

        if jtype == "array":
            item_node = s.get("items", {})
            if isinstance(item_node, list):
                raise self.fail(path, "tuple arrays (items as a list) are not supported")
            item_ui = ui.get("items") if isinstance(ui.get("items"), dict) else {}
            item_schema = self.resolve(item_node, path)
            item_enum, _ = self.enum_of(item_schema, item_ui)
            arr = dict(common, min_items=s.get("minItems"), max_items=s.get("maxItems"))
            if item_enum is not None and (widget_hint in (None, "checkboxes", "select") or s.get("uniqueItems")):
                items = self.build(item_node, item_ui, path=path, key=key, required=False, readonly=readonly,
                                   fallback_label=label)
                return FieldSpec(type="array", widget="checkboxes", items=items, **arr)

            def row(index: str, _node=item_node, _ui=item_ui) -> FieldSpec:
                return self.build(_node, _ui, path=f"{path}.{index}", key=index, required=False,
                                  readonly=readonly, fallback_label=label)

            items = row(INDEX_TOKEN)
            return FieldSpec(type="array", widget="array", items=items, _row_builder=row, **arr)

        # scalars
        fmt = s.get("format")
        if widget_hint == "tel" or (ui_widget in ("phone", "tel")):
            fmt = "phone"
        if enum is not None and jtype != "boolean" or (jtype == "boolean" and widget_hint in ("radio", "select")):
            widget = widget_hint if widget_hint in ("radio", "select", "hidden") else "select"
        elif jtype == "boolean":
            widget = "hidden" if widget_hint == "hidden" else "checkbox"
        elif jtype in ("integer", "number"):
            widget = widget_hint if widget_hint in ("range", "hidden") else "number"
        else:
            by_format = {"email": "email", "phone": "tel", "date": "date", "date-time": "datetime",
                         "uri": "url"}.get(fmt, "text")
            widget = widget_hint or by_format
            if widget in ("checkbox", "checkboxes", "number", "range", "select", "radio", "object", "array",
                          "file"):
                raise self.fail(path, f"ui:widget {ui_widget!r} does not fit a {jtype} field")
            if widget == "datetime":
                fmt = fmt or "date-time"
            elif widget == "date":
                fmt = fmt or "date"
            elif widget == "email":
                fmt = fmt or "email"
        return FieldSpec(
            type=jtype, widget=widget, enum=enum, enum_labels=enum_labels, format=fmt,
            minimum=s.get("minimum"), maximum=s.get("maximum"),
            exclusive_minimum=s.get("exclusiveMinimum"), exclusive_maximum=s.get("exclusiveMaximum"),
            multiple_of=s.get("multipleOf"), min_length=s.get("minLength"), max_length=s.get("maxLength"),
            pattern=s.get("pattern"), **common,
        )

    def json_type(self, s: dict, path: str) -> str:
        if s.get("x-file") is True or s.get("format") == "data-url":
            return "file"
        t = s.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "null")
        if t is None:
            if "properties" in s:
                return "object"
            if "items" in s:
                return "array"
            values = s.get("enum") or [o.get("const") for o in s.get("oneOf") or s.get("anyOf") or []
                                       if isinstance(o, dict)]
            if values and all(isinstance(v, bool) for v in values):
                return "boolean"
            if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                return "integer"
            if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                return "number"
            return "string"
        if t not in ("string", "integer", "number", "boolean", "object", "array"):
            raise self.fail(path, f"type {t!r} cannot be shown in a form")
        return t

    def enum_of(self, s: dict, ui: dict) -> tuple[tuple | None, tuple[str, ...] | None]:
        if isinstance(s.get("enum"), list):
            values = tuple(s["enum"])
            names = ui.get("ui:enumNames") or s.get("enumNames")
            labels = tuple(str(n) for n in names) if isinstance(names, list) else None
            return values, labels
        alts = s.get("oneOf") or s.get("anyOf")
        if isinstance(alts, list) and alts and all(isinstance(a, dict) and "const" in a for a in alts):
            return (tuple(a["const"] for a in alts),
                    tuple(str(a.get("title", _plain(a["const"]))) for a in alts))
        if "const" in s and s.get("type") != "boolean":
            return (s["const"],), None
        return None, None

    def ordered(self, keys: list[str], order: Any, path: str) -> list[str]:
        if not order:
            return keys
        if not isinstance(order, list):
            raise self.fail(path, "ui:order must be a list")
        known = [k for k in order if k in keys]
        rest = [k for k in keys if k not in known]
        if "*" in order:
            star = order.index("*")
            before = [k for k in order[:star] if k in keys]
            after = [k for k in order[star + 1:] if k in keys]
            return before + rest + after
        return known + rest

    # -- if/then/else on one sibling (the react-jsonschema-form convention): a field defined only inside a
    #    branch is shown while its condition holds; a field the branch only lists in `required` is always
    #    shown and marked required while the condition holds. Other `if` shapes are validated, not shown.

    def branch_rules(self, s: dict, props: dict) -> list[tuple[Condition | None, dict]]:
        """(condition, then/else branch) of the object's if-blocks (its own and those in allOf); the
        condition is None when the page cannot follow it."""
        blocks = [s] + [b for b in (s.get("allOf") or []) if isinstance(b, dict)]
        rules: list[tuple[Condition | None, dict]] = []
        for block in blocks:
            if not isinstance(block.get("if"), dict):
                continue
            tested = _condition_of(block["if"], props)
            for branch_key, negate in (("then", False), ("else", True)):
                branch = block.get(branch_key)
                if isinstance(branch, dict):
                    cond = None if tested is None else Condition(tested[0], tested[0], tested[1], (), negate)
                    rules.append((cond, branch))
        return rules

    def branch_fields(self, rules: list[tuple[Condition | None, dict]], props: dict, path: str
                      ) -> dict[str, tuple[Condition | None, Any, bool]]:
        """Fields defined only inside a branch: name -> (condition, schema node, required when shown)."""
        out: dict[str, tuple[Condition | None, Any, bool]] = {}
        for cond, branch in rules:
            for name, node in (branch.get("properties") or {}).items():
                if name in props:
                    continue
                if name in out:
                    raise self.fail(path, f"field {name!r} is defined in two if/then/else branches; define it "
                                          "once in `properties` and list it in each branch's `required`")
                out[name] = (cond, node, cond is not None and name in (branch.get("required") or ()))
        return out


def _condition_of(test_schema: dict, props: dict) -> tuple[str, tuple[Any, ...]] | None:
    """(sibling, values) for an `if` the page can follow: one sibling property with `const` or `enum`."""
    tested = test_schema.get("properties")
    if not isinstance(tested, dict) or len(tested) != 1:
        return None
    (key, test), = tested.items()
    if key not in props or not isinstance(test, dict):
        return None
    if "const" in test:
        return key, (test["const"],)
    if isinstance(test.get("enum"), list):
        return key, tuple(test["enum"])
    return None


def _with_conditions(spec: FieldSpec, siblings: Mapping[str, FieldSpec], show: Condition | None,
                     required_when: Sequence[Condition]) -> FieldSpec:
    """The spec with its conditions, their values spelled as the controlling input's HTML values."""
    def for_page(cond: Condition) -> Condition:
        controller = siblings[cond.key]
        by_value = ({_input_str(c.value): c.input for c in controller.choices}
                    if controller.is_choice or controller.type == "boolean" else {})
        inputs = tuple(by_value.get(_input_str(v), _input_str(v)) for v in cond.values)
        return Condition(cond.key, controller.name, cond.values, inputs, cond.negate)

    if show is None and not required_when:
        return spec
    return dataclasses.replace(spec, show_when=for_page(show) if show is not None else None,
                               required_when=tuple(for_page(c) for c in required_when))


def _validation_schema(schema: Any, ui: Any) -> Any:
    """The schema jsonschema checks: a file field becomes the upload reference object, and a
    ``ui:widget: phone`` string gets ``format: phone``."""
    def file_ref(node: dict) -> dict:
        props: dict[str, Any] = {
            "file_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "name": {"type": "string"}, "size": {"type": "integer", "minimum": 1},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "content_type": {"type": "string"},
        }
        try:
            props["content_type"]["enum"] = list(_uploads.normalize_accept(node.get("accept")))
        except ValueError:
            pass
        if isinstance(node.get("maxSize"), int):
            props["size"]["maximum"] = node["maxSize"]
        out = {"type": "object", "required": list(props), "properties": props}
        if "title" in node:
            out["title"] = node["title"]
        return out

    def walk(node: Any, ui_node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n, None) for n in node]
        if not isinstance(node, dict):
            return node
        if node.get("x-file") is True or node.get("format") == "data-url":
            return file_ref(node)
        ui_node = ui_node if isinstance(ui_node, dict) else {}
        out = {}
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                out[k] = {name: walk(sub, ui_node.get(name)) for name, sub in v.items()}
            elif k == "items":
                out[k] = walk(v, ui_node.get("items"))
            elif k in ("enum", "const", "default", "examples", "required"):
                out[k] = v
            else:
                out[k] = walk(v, None)
        if ui_node.get("ui:widget") in ("phone", "tel") and "format" not in node:
            if "$ref" in out:
                return {"allOf": [out], "format": "phone"}
            out["format"] = "phone"
        return out

    return walk(schema, ui)


# ------------------------------------------------------------------------------------------------ Form

class Form:
    """A loaded form: the schema pair, the field tree (``root``/``fields``) and its validator."""

    def __init__(self, schema: dict, ui_schema: dict | None = None, *, source: str = "form"):
        if not isinstance(schema, dict):
            raise FormDefinitionError(f"{source}: the schema must be a JSON object")
        ui_schema = ui_schema or {}
        if not isinstance(ui_schema, dict):
            raise FormDefinitionError(f"{source}: the UI schema must be a JSON object")
        try:
            Draft7Validator.check_schema(schema)
        except SchemaError as err:
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            raise FormDefinitionError(f"{source}: invalid JSON Schema at {where}: {err.message}") from None
        self.schema = schema
        self.ui_schema = ui_schema
        self.source = source
        root = _Builder(schema, ui_schema, source).build(schema, ui_schema, path="", key="", required=True,
                                                        readonly=False)
        if root.type != "object":
            raise FormDefinitionError(f"{source}: a form schema must be an object with properties")
        self.root = root
        self.validator = Draft7Validator(_validation_schema(schema, ui_schema), format_checker=FORMAT_CHECKER)

    @property
    def title(self) -> str | None:
        return self.ui_schema.get("ui:title") or self.schema.get("title")

    @property
    def description(self) -> str | None:
        return self.ui_schema.get("ui:description") or self.schema.get("description")

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return self.root.children

    @property
    def has_files(self) -> bool:
        return any(spec.type == "file" for spec in self.root.walk())

    def walk(self) -> Iterator[FieldSpec]:
        for child in self.root.children:
            yield from child.walk()

    def field(self, path: str) -> FieldSpec:
        """The spec at a concrete path (``rows.2.qty``). Raises KeyError."""
        spec = self.root
        if not path:
            return spec
        for seg in path.split("."):
            if spec.widget == "array":
                if not (seg.isdigit() or seg == INDEX_TOKEN):
                    raise KeyError(path)
                spec = spec.row(seg)
            elif spec.widget == "checkboxes" and seg.isdigit():
                return spec
            else:
                spec = next((c for c in spec.children if c.key == seg), None)  # type: ignore[assignment]
                if spec is None:
                    raise KeyError(path)
        return spec

    # helpers for templates
    @staticmethod
    def value_at(values: Any, path: str) -> Any:
        return _get(values, path)

    @staticmethod
    def ui(text: str, **params: Any) -> str:
        return ui_text(text, **params)

    @staticmethod
    def size(n: Any) -> str:
        return _uploads.format_size(int(n or 0))

    def label_for(self, path: str) -> str:
        """A readable name of the field at ``path`` for the error summary (``工作经历 2 · 单位名称``)."""
        if not path:
            return self.title or ""
        parts: list[str] = []
        spec = self.root
        for seg in path.split("."):
            try:
                if spec.widget == "array" and seg.isdigit():
                    array_label = parts.pop() if parts else ""
                    spec = spec.row(seg)
                    parts.append(f"{spec.schema.get('title') or array_label} {int(seg) + 1}".strip())
                    continue
                spec = next(c for c in spec.children if c.key == seg)
            except (StopIteration, TypeError):
                parts.append(seg)
                break
            parts.append(spec.label)
        return " · ".join(p for p in parts if p)

    def owner_path(self, path: str) -> str:
        """The path of the rendered field an error at ``path`` belongs to: ``skills.0`` -> ``skills``
        (checkboxes), ``resume.size`` -> ``resume`` (a file), an unknown key -> its parent."""
        while path:
            try:
                return self.field(path).path
            except (KeyError, TypeError):
                path = path.rpartition(".")[0]
        return ""

    def anchor_for(self, path: str) -> str:
        try:
            spec = self.field(path)
        except KeyError:
            return "f-root"
        return spec.id

    def order_key(self, path: str) -> tuple:
        key: list[tuple[int, int]] = []
        spec = self.root
        for seg in path.split(".") if path else []:
            if spec.widget == "array" and seg.isdigit():
                key.append((1, int(seg)))
                try:
                    spec = spec.row(seg)
                except TypeError:
                    break
                continue
            idx = next((i for i, c in enumerate(spec.children) if c.key == seg), None)
            if idx is None:
                key.append((2, 0))
                break
            key.append((0, idx))
            spec = spec.children[idx]
        return tuple(key)


_CACHE: dict[tuple[str, str | None, str], tuple[tuple, Form]] = {}
_CACHE_LOCK = threading.Lock()
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][\w.-]*\.json\Z", re.ASCII)


def _safe_path(forms_dir: Path, name: str) -> Path:
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or ".." in name:
        raise FormDefinitionError(f"unsafe form file name {name!r} (expected letters, digits, _ . - and .json)")
    base = Path(forms_dir).resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or path.parent != base:
        raise FormDefinitionError(f"form file {name!r} is outside the forms directory")
    return path


def _read_json(path: Path, name: str) -> dict:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise FormDefinitionError(f"form file {name!r} not found") from None
    except UnicodeDecodeError as err:
        raise FormDefinitionError(f"{name}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise FormDefinitionError(f"{name}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") \
            from None
    if not isinstance(data, dict):
        raise FormDefinitionError(f"{name}: the top level must be a JSON object")
    return data


def load_form(forms_dir: Path | str, schema_name: str, ui_name: str | None = None) -> Form:
    """Load a schema + UI schema pair from ``forms_dir``; cached until either file changes.
    Raises FormDefinitionError for an unsafe or missing name, bad JSON or an invalid schema."""
    schema_path = _safe_path(Path(forms_dir), schema_name)
    ui_path = _safe_path(Path(forms_dir), ui_name) if ui_name else None

    def stamp(p: Path | None) -> tuple:
        if p is None:
            return ()
        try:
            st = p.stat()
        except FileNotFoundError:
            raise FormDefinitionError(f"form file {p.name!r} not found") from None
        return (st.st_mtime_ns, st.st_size)

    # Its texts (titles, help, option labels...) in the current language (app/platform/source_texts.py).
    locale = current_locale()
    key = (str(schema_path), str(ui_path) if ui_path else None, locale)
    stamps = (stamp(schema_path), stamp(ui_path))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0] == stamps:
            return hit[1]
    from app.platform.source_texts import translate_form

    schema = translate_form(_read_json(schema_path, schema_name))
    ui = translate_form(_read_json(ui_path, ui_name)) if ui_path and ui_name else {}
    form = Form(schema, ui, source=schema_name)
    with _CACHE_LOCK:
        _CACHE[key] = (stamps, form)
    return form


# ------------------------------------------------------------------------------------------- parsing

def _get(values: Any, path: str) -> Any:
    cur = values
    if not path:
        return cur
    for seg in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(seg)
        elif isinstance(cur, list) and seg.isdigit() and int(seg) < len(cur):
            cur = cur[int(seg)]
        else:
            return None
        if cur is None:
            return None
    return cur


_INT = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)
_DATE_LOOSE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\Z", re.ASCII)
_DT_LOCAL = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?\Z", re.ASCII)


def _to_number(raw: str, integer: bool) -> Any:
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if not text:
        return _ABSENT
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
        return parsed.replace(tzinfo=CHINA_TZ).isoformat()
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA_TZ)
    return parsed.isoformat()


def _to_phone(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix):].lstrip("-")
    digits = text.replace("-", "")
    return digits if _MOBILE.match(digits) else text


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
                if seg.isdigit() and len(seg) <= 6:
                    found.add(int(seg))
        return sorted(found)


def _readonly_value(spec: FieldSpec, existing: Any) -> tuple[Any, bool]:
    if existing is not _ABSENT and existing is not None:
        return copy.deepcopy(existing), True
    if spec.has_default:
        return copy.deepcopy(spec.default), False
    return _ABSENT, False


def _parse(spec: FieldSpec, ctx: _Ctx, existing: Any) -> tuple[Any, bool]:
    """(value or _ABSENT, filled): ``filled`` tells whether the person entered anything here."""
    if spec.readonly:
        return _readonly_value(spec, existing)
    name = spec.name
    if spec.widget == "object":
        out: dict[str, Any] = {}
        filled = False
        existing_obj = existing if isinstance(existing, dict) else {}
        for child in spec.children:
            value, child_filled = _parse(child, ctx, existing_obj.get(child.key, _ABSENT))
            filled = filled or child_filled
            if value is not _ABSENT:
                out[child.key] = value
        for child in spec.children:  # a branch's field whose condition does not hold is not kept
            if child.show_when is not None and not child.show_when.holds(out.get(child.show_when.key, _ABSENT)):
                out.pop(child.key, None)
        if not filled and not spec.required and spec.path and not spec.key.isdigit():  # rows stay objects
            return _ABSENT, False
        return out, filled
    if spec.widget == "array":
        rows = []
        existing_rows = existing if isinstance(existing, list) else []
        for index in ctx.indices(name):
            row_spec = spec.row(index)
            prior = existing_rows[index] if index < len(existing_rows) else _ABSENT
            value, filled = _parse(row_spec, ctx, prior)
            if filled or ctx.keep_blank_rows:
                if value is _ABSENT:
                    value = {} if row_spec.widget == "object" else None
                rows.append(value)
        if not rows and spec.required and not ctx.keep_blank_rows:
            return _ABSENT, False
        return rows, bool(rows)
    if spec.widget == "checkboxes":
        assert spec.items is not None
        chosen = [_choice_value(spec.items, raw) for raw in ctx.getlist(name) if raw != ""]
        if not chosen and spec.required:
            return _ABSENT, False
        return chosen, bool(chosen)
    if spec.type == "file":
        return _parse_file(spec, ctx, existing)
    if spec.widget == "checkbox":
        checked = ctx.get(name) in ("true", "on", "1", "yes")
        return checked, checked
    raw = ctx.get(name)
    if raw is None:
        return _ABSENT, False
    value = _scalar(spec, raw)
    return value, value is not _ABSENT


def _choice_value(spec: FieldSpec, raw: str) -> Any:
    for choice in spec.choices:
        if choice.input == raw:
            return copy.deepcopy(choice.value)
    return raw  # not one of the options: validation reports it


def _scalar(spec: FieldSpec, raw: str) -> Any:
    if spec.widget == "textarea":
        text = raw.replace("\r\n", "\n").replace("\r", "\n")
        return text.strip() if text.strip() else _ABSENT
    if raw.strip() == "":
        return _ABSENT
    if spec.is_choice or spec.type == "boolean":
        return _choice_value(spec, raw.strip())
    if spec.type in ("integer", "number"):
        return _to_number(raw, spec.type == "integer")
    if spec.widget == "date" or spec.format == "date":
        return _to_date(raw)
    if spec.widget == "datetime" or spec.format == "date-time":
        return _to_datetime(raw)
    if spec.is_phone:
        return _to_phone(raw)
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
        return _ABSENT, False
    if _uploads.is_reference(existing):
        return copy.deepcopy(existing), True
    return _ABSENT, False


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


# ------------------------------------------------------------------------------------------ row actions

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


def _new_row(spec: FieldSpec) -> Any:
    item = spec.row(0)
    value = _fill(item, _ABSENT)
    if value is _ABSENT:
        return {} if item.widget == "object" else None
    return value


def apply_row_action(form: Form, data: dict, action: RowAction) -> dict:
    """A copy of ``data`` with a row added or removed (ignored when the path is not a row of an editable
    array or the limits forbid it)."""
    data = copy.deepcopy(data)
    if action.kind == "add":
        array_path = action.path
    else:
        array_path, _, index = action.path.rpartition(".")
        if not index.isdigit():
            return data
    try:
        spec = form.field(array_path)
    except (KeyError, TypeError):
        return data
    if spec.widget != "array" or spec.readonly:
        return data
    rows = _get(data, array_path)
    if not isinstance(rows, list):
        rows = []
        _set(data, array_path, rows)
    if action.kind == "add" and spec.addable and (spec.max_items is None or len(rows) < spec.max_items):
        rows.append(_new_row(spec))
    elif action.kind == "remove" and spec.removable:
        i = int(action.path.rpartition(".")[2])
        if i < len(rows):
            rows.pop(i)
    return data


def _set(data: Any, path: str, value: Any) -> None:
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


# ----------------------------------------------------------------------------------- values for display

def _fill(spec: FieldSpec, value: Any) -> Any:
    if spec.widget == "object":
        obj = copy.deepcopy(value) if isinstance(value, dict) else None
        if obj is None:
            obj = copy.deepcopy(spec.default) if isinstance(spec.default, dict) else {}
        for child in spec.children:
            filled = _fill(child, obj.get(child.key, _ABSENT))
            if filled is not _ABSENT:
                obj[child.key] = filled
        return obj
    if spec.widget == "array":
        rows = value if isinstance(value, list) else (spec.default if isinstance(spec.default, list) else [])
        rows = [_fill(spec.row(i), r) for i, r in enumerate(copy.deepcopy(rows))]
        minimum = max(spec.min_items or 0, 1 if spec.required else 0)
        while len(rows) < minimum and not spec.readonly:
            rows.append(_new_row(spec))
        return rows
    if value is not _ABSENT and value is not None:
        return copy.deepcopy(value)
    if spec.has_default:
        return copy.deepcopy(spec.default)
    return _ABSENT


def initial_values(form: Form, existing: Mapping[str, Any] | None = None) -> dict:
    """Values for the first display: task data, else schema defaults (render only: blank rows are added
    up to ``minItems``, or one for a required array)."""
    return _fill(form.root, dict(existing or {}))


def redisplay_values(form: Form, data: Mapping[str, Any], existing: Mapping[str, Any] | None = None) -> dict:
    """Values to show after a failed validation: what was typed, with file fields back to the file in
    task data (the staged upload was discarded; browsers clear file inputs anyway)."""
    out = copy.deepcopy({k: v for k, v in data.items()})
    existing = existing or {}

    def walk(spec: FieldSpec, value: Any, path: str) -> None:
        if spec.type == "file":
            prior = _get(existing, path)
            if _uploads.is_reference(prior):
                _set(out, path, copy.deepcopy(prior))
            elif isinstance(_get(out, path), (dict, RejectedUpload)):
                parent_path, _, key = path.rpartition(".")
                parent = _get(out, parent_path) if parent_path else out
                if isinstance(parent, dict):
                    parent.pop(key, None)
                elif isinstance(parent, list) and key.isdigit():
                    parent[int(key)] = None
            return
        if spec.widget == "object" and isinstance(value, dict):
            for child in spec.children:
                walk(child, value.get(child.key), child.path)
        elif spec.widget == "array" and isinstance(value, list):
            for i, row in enumerate(value):
                walk(spec.row(i), row, f"{path}.{i}")

    walk(form.root, out, "")
    return out


def merge_submission(form: Form, task_data: Mapping[str, Any], data: Mapping[str, Any]) -> dict:
    """Task data after the submission: every top-level field of the form is replaced by the submitted
    value, or removed when the person cleared it; other task data is kept."""
    merged = dict(task_data)
    for spec in form.fields:
        if spec.key in data:
            merged[spec.key] = copy.deepcopy(data[spec.key])
        elif not spec.readonly:
            merged.pop(spec.key, None)
    return merged


# ----------------------------------------------------------------------------------------- validation

_LIMIT_CODES = {"minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                "multipleOf", "minItems", "maxItems", "minProperties", "maxProperties"}


def _field_errors(err: ValidationError) -> list[FieldError]:
    path = ".".join(str(p) for p in err.absolute_path)
    kw = err.validator
    value = err.validator_value
    if kw == "required":
        instance = err.instance if isinstance(err.instance, dict) else {}
        return [FieldError(f"{path}.{name}" if path else name, "required")
                for name in value if name not in instance]
    if kw == "type":
        expected = value if isinstance(value, str) else next((t for t in value if t != "null"), "null")
        return [FieldError(path, "type", {"expected": expected})]
    if kw == "format":
        return [FieldError(path, "format", {"format": value})]
    if kw == "pattern":
        return [FieldError(path, "pattern", {"pattern": value})]
    if kw in _LIMIT_CODES:
        return [FieldError(path, kw, {"limit": value})]
    if kw == "enum":
        return [FieldError(path, "enum", {"allowed": list(value)})]
    if kw == "const":
        return [FieldError(path, "accepted" if value is True else "const", {"allowed": [value]})]
    if kw in ("oneOf", "anyOf") and isinstance(value, list) and value \
            and all(isinstance(a, dict) and "const" in a for a in value):
        return [FieldError(path, "enum", {"allowed": [a["const"] for a in value]})]
    if kw == "uniqueItems":
        return [FieldError(path, "uniqueItems")]
    return [FieldError(path, str(kw) if kw else "invalid")]


def validate(form: Form, data: Mapping[str, Any]) -> dict[str, list[FieldError]]:
    """Errors by field path (in form order; empty dict when valid). Refused uploads come first at their
    field; the rest is jsonschema Draft 7 with formats date, date-time, email and phone checked."""
    found: list[FieldError] = []
    upload_paths: set[str] = set()

    def strip(value: Any, path: str) -> Any:
        if isinstance(value, RejectedUpload):
            found.append(FieldError(path, value.code, dict(value.params)))
            upload_paths.add(path)
            return _ABSENT
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                sub = strip(v, f"{path}.{k}" if path else str(k))
                if sub is not _ABSENT:
                    out[k] = sub
            return out
        if isinstance(value, list):
            return [None if (s := strip(v, f"{path}.{i}")) is _ABSENT else s for i, v in enumerate(value)]
        return value

    clean = strip(dict(data), "")
    seen = {(e.path, e.code) for e in found}
    for err in form.validator.iter_errors(clean):
        for fe in _field_errors(err):
            owner = form.owner_path(fe.path)
            if owner != fe.path:
                fe = FieldError(owner, fe.code, fe.params)
            if fe.path in upload_paths or (fe.path, fe.code) in seen:
                continue
            seen.add((fe.path, fe.code))
            found.append(fe)
    typed_wrong = {e.path for e in found if e.code == "type"}  # "enter a number" says it all
    result: dict[str, list[FieldError]] = {}
    for fe in sorted(found, key=lambda e: form.order_key(e.path)):
        if fe.path in typed_wrong and fe.code != "type":
            continue
        result.setdefault(fe.path, []).append(fe)
    return result
