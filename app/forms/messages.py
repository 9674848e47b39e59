"""Messages of the form framework: field errors and UI words, in Chinese (built in) and English
(the Babel catalogue). Inside a request the current Babel locale picks the language; zh_CN otherwise."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.forms import uploads as _uploads

try:  # the catalogue marker; plain strings when Flask-Babel is absent
    from flask_babel import lazy_gettext as _l
except ImportError:  # pragma: no cover
    def _l(string: str, **_: Any) -> str:  # type: ignore[misc]
        return string

DEFAULT_LOCALE = "zh_CN"

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
    "format:future-date-time": (_l("Choose a date and time in the future."), "请选择将来的日期和时间。"),
    "format:phone": (_l("Enter a valid mobile number (11 digits) or landline, like 010-12345678."),
                     "请输入有效的手机号码（11 位）或固定电话，例如 010-12345678。"),
    "format:uri": (_l("Enter a valid web address, like https://example.com."),
                   "请输入有效的网址，例如 https://example.com。"),
    "fileType": (_l("The file must be one of these types: %(accept)s."), "文件类型不符合要求，仅支持：%(accept)s。"),
    "fileSize": (_l("The file must be no larger than %(limit)s."), "文件大小不能超过 %(limit)s。"),
    "fileEmpty": (_l("The selected file is empty."), "所选文件为空。"),
    "notFound": (_l("Nothing is on record under %(value)s: check it and enter it again."),
                 "系统中没有“%(value)s”的记录，请核对后重新填写。"),
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
    "Open": "打开",
    "Download": "下载",
    "This browser cannot show the PDF here: open or download it.": "此浏览器无法在页面内显示该 PDF，请打开或下载查看。",
}
# The same words, marked for the catalogue (pybabel extract -k lazy_gettext); the templates also use _().
_UI_MSGIDS = [_l("Add row"), _l("Remove"), _l("Please choose"), _l("Yes"), _l("No"),
              _l("Current file:"), _l("Remove current file"), _l("Accepted file types:"), _l("Maximum size:"),
              _l("Submit"), _l("There is a problem"), _l("Please correct the following and submit again."),
              _l("Error:"), _l("No entries yet."), _l("Not provided"), _l("Row added."), _l("Row removed."),
              _l("Open"), _l("Download"), _l("This browser cannot show the PDF here: open or download it.")]


def current_locale() -> str:
    """The Babel locale of the current request, else zh_CN."""
    try:
        from flask_babel import get_locale

        loc = get_locale()
    except Exception:  # noqa: BLE001 - no app, no Babel on the app: the default
        loc = None
    return str(loc) if loc else DEFAULT_LOCALE


def is_zh(locale: str | None) -> bool:
    return (locale or DEFAULT_LOCALE).lower().replace("-", "_").startswith("zh")


def ui_text(text: str, locale: str | None = None, **params: Any) -> str:
    """A UI word in the current language. ``text`` is what gettext returned: when it is still the
    English msgid and the locale is Chinese, the built-in Chinese is used."""
    text = str(text)
    if is_zh(locale or current_locale()) and text in UI_TEXT:
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
    if is_zh(locale):
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
        zh = is_zh(locale)
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
