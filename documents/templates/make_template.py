"""Generate tripartite_agreement.docx, the Word template of the 三方协议 (docxtpl / Jinja tags).

Run `.venv/bin/python documents/templates/make_template.py` after editing this script; the office may also
edit the .docx directly in Word as long as every `{{ ... }}` tag stays inside one run of text (retype a tag
in one go rather than editing half of it) and the three bookmarks `SigStudent`, `SigEmployer`,
`SigUniversity` stay in the signature cells: the signature fields are placed where those bookmarks land
in the PDF (LibreOffice exports bookmarks as named destinations).
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from documents.docx_tools import a4_document  # noqa: E402
from documents.docx_tools import bookmark as _bookmark  # noqa: E402
from documents.docx_tools import cell_text as _cell_text  # noqa: E402
from documents.docx_tools import grid_table  # noqa: E402
from documents.docx_tools import paragraph as _paragraph  # noqa: E402
from documents.docx_tools import row_height as _row_height  # noqa: E402

OUT = Path(__file__).resolve().parent / "tripartite_agreement.docx"
SIGNATURE_PARTIES = (
    ("student", "毕业生（甲方）签名"),
    ("employer", "用人单位（乙方）盖章"),
    ("university", "学校（丙方）就业部门盖章"),
)
# (label, tag) pairs laid out two per row; a pair with tag None spans the whole row.
GRADUATE_ROWS = [
    [("姓名", "graduate.name"), ("性别", "graduate.gender")],
    [("学号", "graduate.student_number"), ("身份证号", "graduate.id_number")],
    [("学院", "graduate.college"), ("专业", "graduate.major")],
    [("学历", "graduate.degree"), ("预计毕业时间", "graduate.expected_graduation")],
    [("联系电话", "graduate.phone")],
    [("电子邮箱", "graduate.email")],  # a whole row: a long address stays on one line
]
EMPLOYER_ROWS = [
    [("单位名称", "employer.name")],
    [("统一社会信用代码", "employer.credit_code"), ("单位性质", "employer.type")],
    [("所属行业", "employer.industry"), ("是否接收户口", "employer.hukou_transfer")],
    [("单位地址", "employer.address")],
    [("联系人", "employer.contact_person"), ("联系电话", "employer.contact_phone")],
    [("档案转寄地址", "employer.archive_address")],
]
JOB_ROWS = [
    [("工作岗位", "job.position"), ("工作地点", "job.location")],
    [("月薪", "job.monthly_pay"), ("试用期", "job.probation")],
    [("劳动合同期限", "job.contract_term")],
]
STANDARD_CLAUSES = [
    "一、本协议是毕业生、用人单位和学校在毕业生正式报到、签订劳动合同前，明确三方权利义务的书面约定，"
    "经三方依次签署后生效。",
    "二、毕业生应如实介绍本人情况，按时取得毕业资格并到用人单位报到；用人单位应如实介绍本单位情况，"
    "按约定接收毕业生并依法与其签订劳动合同。",
    "三、学校负责审核毕业生与用人单位的资格，按国家有关规定办理派遣、档案和户口迁转手续。",
    "四、任何一方解除本协议，应征得另外两方同意，并按约定承担违约责任；解约须经学校审批。",
    "五、毕业生到用人单位报到并签订劳动合同后，本协议自行终止。",
    "六、本协议以电子形式签署，各方的电子签名（电子印章）与手写签名或盖章具有同等法律效力；"
    "签署后对文件的任何改动均可被检测。",
]


def _field_table(doc, rows) -> None:
    table = grid_table(doc, len(rows), [3.3, 5.2, 3.3, 5.2])
    for row, pairs in zip(table.rows, rows):
        _row_height(row, 0.75)
        if len(pairs) == 1:
            label, tag = pairs[0]
            merged = row.cells[1].merge(row.cells[3])
            _cell_text(row.cells[0], label, bold=True, shade="F2F2F2")
            _cell_text(merged, "{{ %s }}" % tag)
            continue
        for i, (label, tag) in enumerate(pairs):
            _cell_text(row.cells[2 * i], label, bold=True, shade="F2F2F2")
            _cell_text(row.cells[2 * i + 1], "{{ %s }}" % tag)


def _signature_table(doc) -> None:
    table = grid_table(doc, 3, [5.66] * len(SIGNATURE_PARTIES))
    _row_height(table.rows[1], 3.4)
    for i, (party, title) in enumerate(SIGNATURE_PARTIES):
        _cell_text(table.rows[0].cells[i], title, bold=True, shade="F2F2F2", align=WD_ALIGN_PARAGRAPH.CENTER)
        stamp_cell = table.rows[1].cells[i]
        stamp_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        # The bookmark marks the top-left corner of the signature field.
        _bookmark(stamp_cell.paragraphs[0], f"Sig{party.capitalize()}", i + 1)
        # The date cannot be typed in later without touching what was signed: the stamp carries it.
        _cell_text(table.rows[2].cells[i], "签署日期：见上方电子签章", size=9.5)


def build(path: Path = OUT) -> Path:
    doc = a4_document(landscape=False, side_cm=2.0, top_cm=1.8, bottom_cm=1.6, font_size=10.5,
                      footer="协议书编号：{{ agreement_number }}    本协议由{{ university.name }}{{ university.office }}监制")

    _paragraph(doc, "协议书编号：{{ agreement_number }}", size=9.5, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, "全国普通高等学校毕业生就业协议书", size=18, bold=True,
               align=WD_ALIGN_PARAGRAPH.CENTER, space_after=2)
    _paragraph(doc, "（毕业生、用人单位、学校三方协议）", size=11, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)
    _paragraph(doc, "学校：{{ university.name }}    就业部门：{{ university.office }}", size=10,
               space_after=6)

    _paragraph(doc, "一、毕业生情况（甲方）", size=12, bold=True, space_after=3)
    _field_table(doc, GRADUATE_ROWS)
    _paragraph(doc, "二、用人单位情况（乙方）", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(8)
    _field_table(doc, EMPLOYER_ROWS)
    _paragraph(doc, "三、工作岗位与待遇", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(8)
    _field_table(doc, JOB_ROWS)
    _paragraph(doc, "四、违约责任", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(8)
    _paragraph(doc, "{{ job.breach_terms }}", size=10.5)
    _paragraph(doc, "五、其他约定事项", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(8)
    _paragraph(doc, "{{ job.other_clauses }}", size=10.5)

    heading = _paragraph(doc, "六、协议条款", size=12, bold=True, space_after=3)
    heading.paragraph_format.space_before = Pt(8)
    heading.paragraph_format.page_break_before = True
    for clause in STANDARD_CLAUSES:
        p = _paragraph(doc, clause, size=10.5, space_after=3)
        p.paragraph_format.first_line_indent = Pt(21)
    _paragraph(doc, "七、三方签署", size=12, bold=True, space_after=3).paragraph_format.space_before = Pt(12)
    _signature_table(doc)
    note = _paragraph(doc, "注：签署顺序为毕业生、用人单位、学校；学校签署后本协议锁定，不得再作任何修改。", size=9)
    note.paragraph_format.space_before = Pt(6)
    note.runs[0].font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    doc.core_properties.title = "全国普通高等学校毕业生就业协议书"
    doc.core_properties.author = "就业指导中心"
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
