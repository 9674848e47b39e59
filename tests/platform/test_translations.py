"""Every user-facing text is translated, none fuzzy: the code's English texts into Chinese (zh/messages.po),
and the texts written in process files (forms/, bpmn/) into the language they are not written in: Chinese
texts into English (en/zh_source.po), English ones (lane names) into Chinese (zh/messages.po)."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.platform.source_texts import extract_bpmn, extract_form

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
TRANSLATIONS = APP / "translations"
METHODS = [("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}
PROCESS_FILES = [(ROOT / "forms", "**.json", extract_form), (ROOT / "bpmn", "**.bpmn", extract_bpmn)]


def catalogue(locale: str, domain: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po", "rb") as f:
        return read_po(f)


def _untranslated(po, found) -> list[str]:
    missing = []
    for filename, msgid in found:
        entry = po.get(msgid)
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            missing.append(f"{filename}: {msgid!r}")
    return sorted(set(missing))


def _code_texts():
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(APP), method_map=METHODS, keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}}):
        yield filename, message[0] if isinstance(message, tuple) else message


def _process_texts(language: str):
    for directory, pattern, extractor in PROCESS_FILES:
        for filename, _lineno, message, _comments, _context in extract_from_dir(
                str(directory), method_map=[(pattern, extractor)], options_map={pattern: {"language": language}}):
            yield f"{directory.name}/{filename}", message


def test_every_string_in_the_code_is_translated():
    found = list(_code_texts())
    assert len(found) > 300  # the extraction really walked the code and templates
    missing = _untranslated(catalogue("zh", "messages"), found)
    assert not missing, "untranslated (run `make translations`, then translate):\n" + "\n".join(missing)


def test_every_chinese_text_of_forms_and_bpmn_has_its_english():
    found = list(_process_texts("zh"))
    files = {f.split(":")[0] for f, _m in found}
    assert len(found) > 150 and any(f.startswith("forms/") for f in files) and any(f.startswith("bpmn/") for f in files)
    missing = _untranslated(catalogue("en", "zh_source"), found)
    assert not missing, "untranslated (run `make translations`, then translate en/zh_source.po):\n" + "\n".join(missing)


def test_every_english_text_of_forms_and_bpmn_has_its_chinese():
    found = list(_process_texts("en"))
    assert any(m == "Career office" for _f, m in found)  # lane names are English identifiers
    missing = _untranslated(catalogue("zh", "messages"), found)
    assert not missing, "untranslated (run `make translations`, then translate):\n" + "\n".join(missing)


def test_no_fuzzy_guesswork_in_the_catalogues():
    for locale, domain in (("zh", "messages"), ("en", "zh_source")):
        fuzzy = [m.id for m in catalogue(locale, domain) if m.id and m.fuzzy]
        assert not fuzzy, (locale, domain, fuzzy)
