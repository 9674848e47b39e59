"""The employment recommendation form (就业推荐表) as a Word document, from an approved request's data; the
worker converts it to PDF (documents.render.docx_to_pdf) for printing."""
from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from docx import Document
from docx.shared import Pt

INDUSTRIES = {"it": "信息技术", "finance": "金融", "education": "教育", "manufacturing": "制造业",
              "public": "机关事业单位", "other": "其他"}


def form_docx(data: Mapping[str, Any], university: str, issued_on: str) -> bytes:
    """The form: the student, what they applied with, the counselor's and the career office's opinions."""
    student = data.get("student") or {}
    doc = Document()
    doc.add_heading(f"{university}毕业生就业推荐表", level=1)
    rows = [
        ("姓名", student.get("name", "")), ("学号", student.get("student_no", "")),
        ("学历", student.get("degree", "")), ("毕业年份", str(student.get("graduation_year", ""))),
        ("手机号码", data.get("phone", "")), ("电子邮箱", data.get("email", "")),
        ("意向行业", INDUSTRIES.get(data.get("target_industry", ""), data.get("target_industry", ""))),
        ("意向城市", data.get("target_city", "")),
        ("获奖情况", "；".join(a.get("name", "") for a in data.get("awards") or ()) or "—"),
        ("自我评价", data.get("self_assessment", "")),
        ("辅导员意见", data.get("counselor_comment", "") or "同意推荐"),
        ("就业指导中心意见", data.get("office_comment", "") or "同意推荐"),
    ]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, str(value)
    closing = doc.add_paragraph(f"{university} 就业指导中心　{issued_on}")
    for run in closing.runs:
        run.font.size = Pt(11)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
