"""bpmn-js's own labels (palette, context pad, the "change element" menu) are in the modeler's text table, so
the page shows them in the user's language: the list is checked against the installed bpmn-js (an upgrade that
adds a label fails here), and every one has its Chinese."""
from __future__ import annotations

import re
from pathlib import Path

from flask_babel import force_locale

from app.modeler import texts

BPMN_JS = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "lib" / "features"
TRANSLATED = ("palette/PaletteProvider.js", "context-pad/ContextPadProvider.js",
              "popup-menu/ReplaceMenuProvider.js")


def _labels() -> set[str]:
    found = set()
    for name in TRANSLATED:
        found |= set(re.findall(r"translate\(\s*'([^']+)'", (BPMN_JS / name).read_text()))
    found |= set(re.findall(r"label: '([^']+)'", (BPMN_JS / "popup-menu" / "PopupEntries.js").read_text()))
    return found


def test_every_label_bpmn_js_translates_is_in_the_table(app):
    labels = _labels()
    assert len(labels) > 80  # the files were read
    with app.test_request_context():
        table = texts.modeler_texts()
    assert sorted(labels - table.keys()) == []


def test_the_labels_read_chinese_in_chinese_and_english_in_english(app):
    sources = [texts._source(t) for t in texts.BPMN_JS]
    with app.test_request_context(), force_locale("zh"):
        zh = texts.modeler_texts()
    with app.test_request_context(), force_locale("en"):
        en = texts.modeler_texts()
    untranslated = [s for s in sources if not re.search(r"[\u4e00-\u9fff]", zh[s])]
    assert untranslated == []
    assert zh["Create start event"] == "创建开始事件" and zh["Exclusive gateway"] == "排他网关"
    assert all(en[s] == s for s in sources)
