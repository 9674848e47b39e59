"""Texts of forms and BPMN files: what the extractors take (and leave), and the same texts shown in English."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from app.platform.source_texts import (
    extract_bpmn,
    extract_form,
    form_texts,
    msgid_of,
    source_text,
    translate_bpmn,
    translate_form,
)

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = str(ROOT / "app" / "translations")

FORM = {
    "title": "就业推荐表", "type": "object",
    "properties": {
        "industry": {"type": "string", "title": "意向行业", "enum": ["it", "finance"], "enumNames": ["信息技术", "金融"],
                     "default": "it"},
        "level": {"type": "string", "title": "Seniority band", "oneOf": [{"const": "a", "title": "甲等"}]},
        "note": {"type": "string", "title": "说明", "pattern": "^[0-9]+$", "description": "退回时必填"},
    },
}
UI = {"note": {"ui:help": "不少于 20 字", "ui:placeholder": "如：同意", "ui:widget": "textarea"},
      "ui:order": ["industry", "level", "note"]}

BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d">
  <bpmn:collaboration id="c"><bpmn:participant id="p" name="\xe5\xb0\xb1\xe4\xb8\x9a\xe6\x8e\xa8\xe8\x8d\x90\xe8\xa1\xa8\xe7\x94\xb3\xe8\xaf\xb7" processRef="proc"/></bpmn:collaboration>
  <bpmn:process id="proc" name="\xe5\xb0\xb1\xe4\xb8\x9a\xe6\x8e\xa8\xe8\x8d\x90\xe8\xa1\xa8\xe7\x94\xb3\xe8\xaf\xb7" isExecutable="true">
    <bpmn:laneSet><bpmn:lane id="l1" name="career_office"/><bpmn:lane id="l2" name="counselor"/></bpmn:laneSet>
    <bpmn:startEvent id="s" name="\xe6\x8f\x90\xe5\x87\xba\xe7\x94\xb3\xe8\xaf\xb7"/>
    <bpmn:userTask id="t" name="\xe8\xbe\x85\xe5\xaf\xbc\xe5\x91\x98\xe5\xae\xa1\xe6\xa0\xb8">
      <bpmn:extensionElements><spiffworkflow:instructionsForEndUser>\xe5\xae\xa1\xe9\x80\x9a**\xe8\xbf\x87**</spiffworkflow:instructionsForEndUser></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t" name="\xe9\x80\x80\xe5\x9b\x9e\xe4\xbf\xae\xe6\x94\xb9"/>
    <bpmn:message id="m" name="agreement_revoked"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture(scope="module")
def babel_app():
    app = Flask(__name__)
    Babel(app, default_domain="messages;zh_source", default_translation_directories=f"{TRANSLATIONS};{TRANSLATIONS}")
    return app


def extracted(extractor, data: bytes, language: str) -> list[str]:
    return [message for _line, _func, message, _comments in extractor(io.BytesIO(data), [], [], {"language": language})]


def test_the_form_extractor_takes_what_people_read_and_leaves_data_alone():
    texts = form_texts(FORM) + form_texts(UI)
    assert texts == ["就业推荐表", "意向行业", "信息技术", "金融", "Seniority band", "甲等", "说明", "退回时必填",
                     "不少于 20 字", "如：同意"]
    data = json.dumps(FORM, ensure_ascii=False).encode()
    assert extracted(extract_form, data, "zh") == ["就业推荐表", "意向行业", "信息技术", "金融", "甲等", "说明", "退回时必填"]
    assert extracted(extract_form, data, "en") == ["Seniority band"]  # an English title goes to the English-source catalogue


def test_the_form_extractor_gives_the_line_of_each_text():
    data = json.dumps(FORM, ensure_ascii=False, indent=2).encode()
    lines = {m: line for line, _f, m, _c in extract_form(io.BytesIO(data), [], [], {"language": "zh"})}
    source = data.decode().splitlines()
    assert "意向行业" in source[lines["意向行业"] - 1]
    assert "金融" in source[lines["金融"] - 1]


def test_the_bpmn_extractor_takes_names_and_reads_lane_keys_as_words():
    assert extracted(extract_bpmn, BPMN, "zh") == ["就业推荐表申请", "就业推荐表申请", "提出申请", "辅导员审核", "审通**过**",
                                                   "退回修改"]  # names, and a user task's instructions (Markdown)
    assert extracted(extract_bpmn, BPMN, "en") == ["Career office", "Counselor"]  # not the message name
    assert msgid_of("career_office") == "Career office" and msgid_of(" 辅导员审核 ") == "辅导员审核"


def test_bpmn_with_entities_is_refused_not_expanded():
    evil = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            b'<bpmn:process id="p" name="&x;"/></bpmn:definitions>')
    from lxml.etree import XMLSyntaxError

    with pytest.raises(XMLSyntaxError, match="external entity"):
        extracted(extract_bpmn, evil, "zh")


def test_forms_and_diagrams_read_english_in_english_and_stay_chinese_in_chinese(babel_app):
    with babel_app.app_context():
        with force_locale("en"):
            schema, ui = translate_form(FORM), translate_form(UI)
            diagram = translate_bpmn(BPMN.decode())
            assert source_text("career_office") == "Career office"
        with force_locale("zh_CN"):
            zh_schema = translate_form(FORM)
            assert source_text("career_office") == "就业指导中心"
            assert source_text("辅导员审核") == "辅导员审核"
    assert schema["title"] == "Employment recommendation form"
    assert schema["properties"]["industry"]["enumNames"] == ["Information technology", "Finance"]
    assert schema["properties"]["industry"]["enum"] == ["it", "finance"] and schema["properties"]["industry"]["default"] == "it"
    assert schema["properties"]["level"]["oneOf"][0] == {"const": "a", "title": "甲等"}  # no English for it: as written
    assert ui["note"] == {"ui:help": "At least 20 characters", "ui:placeholder": "e.g. Approved", "ui:widget": "textarea"}
    assert 'name="Counselor review"' in diagram and 'name="Career office"' in diagram
    assert 'name="Employment recommendation request"' in diagram and 'name="agreement_revoked"' in diagram
    assert zh_schema == FORM
