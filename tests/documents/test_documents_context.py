"""Agreement context (masking, labels) and docx rendering."""
from __future__ import annotations

import datetime as dt
import io

from docx import Document

from documents.context import agreement_context, mask_id_number, mask_phone
from documents.render import AGREEMENT_TEMPLATE, render_docx


def test_id_and_phone_masking():
    assert mask_id_number("110105200301011234") == "110105********1234"
    assert mask_id_number("11010520030101123X") == "110105********123X"
    assert mask_id_number("12345") == "*****"
    assert mask_phone("13800001111") == "138****1111"
    assert mask_phone("010-88886666") == "010-88886666"


def test_context_masks_id_unless_revealed_and_formats_values():
    data = {"graduate": {"id_number": "110105200301011234", "expected_graduation": dt.date(2025, 6, 30)},
            "employer": {"type": "state_owned", "hukou_transfer": False},
            "job": {"monthly_pay": 12000, "probation": 0, "contract_term": 3}}
    ctx = agreement_context(data)
    assert ctx["graduate"]["id_number"] == "110105********1234"
    assert ctx["graduate"]["expected_graduation"] == "2025 年 6 月"
    assert ctx["employer"]["type"] == "国有企业" and ctx["employer"]["hukou_transfer"] == "否"
    assert ctx["job"]["monthly_pay"] == "12,000 元/月（税前）"
    assert ctx["job"]["probation"] == "无" and ctx["job"]["contract_term"] == "3 年"
    assert ctx["agreement_number"]  # placeholder before the university numbers it
    assert agreement_context(data, reveal_id_number=True)["graduate"]["id_number"] == "110105200301011234"
    assert data["graduate"]["id_number"] == "110105200301011234"  # input left alone


def test_template_renders_every_field_and_escapes_markup():
    data = {"agreement_number": "2025-X-1", "university": {"name": "示范大学", "office": "就业指导中心"},
            "graduate": {"name": "王<五>&六", "id_number": "110105200301011234"},
            "employer": {"name": "某某公司"}, "job": {"breach_terms": "第一行\n第二行"}}
    docx = render_docx(AGREEMENT_TEMPLATE, agreement_context(data))
    doc = Document(io.BytesIO(docx))
    text = "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    text += "\n".join(p.text for p in doc.paragraphs)
    assert "王<五>&六" in text and "110105********1234" in text and "某某公司" in text
    assert "第一行" in text and "第二行" in text
    assert "{{" not in text and "{%" not in text
