"""Texts written in process files (forms/**.json, *.ui.json, bpmn/**.bpmn): extracted into the Babel catalogues
and translated when shown.

The msgid of a text is the text as its author wrote it, the same rule as for the code (whose texts are
English and translated in zh/messages.po). The office writes its forms and processes in Chinese, so those
texts are Chinese msgids, translated into English in en/LC_MESSAGES/zh_source.po (domain `zh_source`).
A text written in English in such a file (a lane named `career_office`, an English form) goes with the
code's texts into the `messages` domain and is translated into Chinese there. Flask-Babel merges both
domains, so one gettext call finds either: `source_text(name)` in Python, `|source_text` in templates.

Lane names are identifiers (the roles' lane keys in config/permissions.toml): `career_office` is shown,
and looked up, as "Career office".

Custom pybabel extractors (app/babel.cfg and app/babel-zh-source.cfg, `make translations`):
`extract_form` and `extract_bpmn`, each given `language = zh | en` to yield only the texts written in
that language.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from app.platform.process_summary import PROPERTY as SUMMARY_PROPERTY, parse_summary_fields

ZH_DOMAIN = "zh_source"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$|^[a-z]+$")

# Keys of JSON Schema / UI schema whose string values people read.
FORM_TEXT_KEYS = frozenset({"title", "description", "ui:title", "ui:description", "ui:help", "ui:placeholder"})
FORM_TEXT_LIST_KEYS = frozenset({"enumNames", "ui:enumNames"})
# BPMN elements whose `name` people read: the process and its lanes, activities, events, gateways, flows.
BPMN_NAMED = frozenset({
    "process", "participant", "lane", "task", "userTask", "manualTask", "serviceTask", "scriptTask",
    "businessRuleTask", "sendTask", "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "sequenceFlow", "dataObjectReference",
    "dataStoreReference",
})


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def msgid_of(text: str) -> str:
    """The catalogue's msgid for a text of a process file: identifiers read as words ("career_office" ->
    "Career office"), everything else as written."""
    text = text.strip()
    if _IDENTIFIER.match(text):
        words = text.replace("_", " ")
        return words[:1].upper() + words[1:]
    return text


def source_text(text: Any) -> str:
    """A text from a form or BPMN file in the current language (unchanged outside a request)."""
    if not isinstance(text, str) or not text.strip():
        return text if isinstance(text, str) else ("" if text is None else str(text))
    from flask_babel import get_translations

    return get_translations().ugettext(msgid_of(text))


# -- extraction -------------------------------------------------------------------------------------------

def _wanted(text: str, language: str) -> bool:
    return is_chinese(text) if language == "zh" else not is_chinese(text)


def _map_form(node: Any, fn) -> Any:
    """A copy of a JSON Schema or UI schema with `fn` applied to every human-readable text."""
    if isinstance(node, dict):
        mapped = {}
        for key, value in node.items():
            if key in FORM_TEXT_KEYS and isinstance(value, str):
                mapped[key] = fn(value)
            elif key in FORM_TEXT_LIST_KEYS and isinstance(value, list):
                mapped[key] = [fn(v) if isinstance(v, str) else v for v in value]
            elif key in ("enum", "const", "default", "examples", "ui:order", "required", "pattern"):
                mapped[key] = value  # data, not text
            else:
                mapped[key] = _map_form(value, fn)
        return mapped
    if isinstance(node, list):
        return [_map_form(item, fn) for item in node]
    return node


def form_texts(node: Any) -> list[str]:
    """Every human-readable text of a JSON Schema or UI schema, in document order."""
    found: list[str] = []
    _map_form(node, lambda text: found.append(text) or text)
    return found


def translate_form(node: Any, own: dict[str, str] | None = None) -> Any:
    """A copy of a form file (schema or UI schema) with its texts in the current language. `own` is the form's
    own catalogue for that language (`form_catalogue`), tried before the Babel catalogues."""
    if not own:
        return _map_form(node, source_text)
    return _map_form(node, lambda text: own.get(text.strip()) or source_text(text))


def form_catalogue(ui: Any) -> dict[str, str]:
    """The form's own translations into the current language: its UI schema's
    `"ui:locales": {"en": {"<text as written>": "<translation>"}}` (written by the modeler's form editor)."""
    locales = ui.get("ui:locales") if isinstance(ui, dict) else None
    if not isinstance(locales, dict):
        return {}
    from flask_babel import get_locale

    try:
        language = get_locale().language
    except Exception:  # noqa: BLE001 - outside a request: the texts as written
        return {}
    own = locales.get(language)
    return {k: v for k, v in own.items() if isinstance(k, str) and isinstance(v, str) and v} if isinstance(own, dict) \
        else {}


def _line_of(source: str, text: str, start: int) -> tuple[int, int]:
    """1-based line of the first occurrence of `text` (JSON-encoded) at or after `start`."""
    for needle in (json.dumps(text, ensure_ascii=False), json.dumps(text)):
        at = source.find(needle, start)
        if at >= 0:
            return source.count("\n", 0, at) + 1, at + len(needle)
    return 1, start


def extract_form(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """pybabel extractor for form files (JSON Schema and UI schema)."""
    source = fileobj.read().decode("utf-8")
    language = options.get("language", "zh")
    position = 0
    for text in form_texts(json.loads(source)):
        if text.strip() and _wanted(text, language):
            lineno, position = _line_of(source, text, position)
            yield lineno, "", msgid_of(text), []


def bpmn_texts(root) -> Iterator[tuple[int, str, str]]:
    """(line, element, text) for every name people see in a BPMN file, the instructions of user tasks
    (SpiffArena's `instructionsForEndUser`, Markdown: translated as a whole) and the labels of the process's
    inbox summary (app/platform/process_summary.py)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = element.tag.rsplit("}", 1)[-1]
        if local == "instructionsForEndUser" and (element.text or "").strip():
            yield element.sourceline or 1, local, element.text
            continue
        if local == "property" and element.get("name") == SUMMARY_PROPERTY:
            for label, _path in parse_summary_fields(element.get("value")):
                yield element.sourceline or 1, SUMMARY_PROPERTY, label
            continue
        if local not in BPMN_NAMED:
            continue
        name = element.get("name")
        if name and name.strip():
            yield element.sourceline or 1, local, name


def parse_bpmn(data: bytes):
    """BPMN is untrusted: no entities, no network, no huge trees."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    return etree.fromstring(data, parser)


def extract_bpmn(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """pybabel extractor for BPMN files: process, lane, task, event, gateway and flow names."""
    language = options.get("language", "zh")
    for lineno, element, name in bpmn_texts(parse_bpmn(fileobj.read())):
        if _wanted(name, language):
            yield lineno, "", msgid_of(name), [f"BPMN {element}"]


def translate_bpmn(xml: str) -> str:
    """The BPMN document with the names people see translated into the current language (for the diagram)."""
    from lxml import etree

    root = parse_bpmn(xml.encode("utf-8"))
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] in BPMN_NAMED and element.get("name"):
            element.set("name", source_text(element.get("name")))
    return etree.tostring(root, encoding="unicode")
