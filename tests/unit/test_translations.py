"""The Chinese catalogue covers every user-facing string in the code and templates (zh_CN is the default)."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

APP = Path(__file__).resolve().parents[2] / "app"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def catalogue():
    with open(APP / "translations" / "zh" / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def test_every_string_in_the_code_is_translated():
    po = catalogue()
    missing, seen = [], 0
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(APP), method_map=METHODS, keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}}):
        msgid = message[0] if isinstance(message, tuple) else message
        seen += 1
        entry = po.get(msgid)
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            missing.append(f"{filename}: {msgid!r}")
    assert seen > 300  # the extraction really walked the code and templates
    assert not missing, "untranslated (run `make translations`, then translate):\n" + "\n".join(sorted(set(missing)))


def test_no_fuzzy_or_obsolete_guesswork_in_the_catalogue():
    po = catalogue()
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, fuzzy
