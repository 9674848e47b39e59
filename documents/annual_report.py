"""The annual graduate employment quality report (毕业生就业质量年度报告) as a Word document: a docxtpl
template (the built-in one below, or the one staff uploaded) filled with the figures and chart images.
Chapters follow ../shared/domain/reports.md and can be switched off (`chapters` in the context)."""
from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from docx import Document
from docx.shared import Pt
from docxtpl import DocxTemplate, InlineImage
from docx.shared import Mm

from documents.png_chart import BarChart, render_bar_chart


def _table(doc, headers: list[str], loop: str, cells: list[str]) -> None:
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for r in " + loop + " %}"
    for cell, text in zip(table.rows[2].cells, cells):
        cell.text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"


def default_template() -> bytes:
    """The built-in template: staff download it, change the wording and layout, and upload it again."""
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading("{{ university }}{{ year }}届毕业生就业质量年度报告", 0)
    doc.add_paragraph("统计截止日期：{{ at }}。数据来源：学生档案（毕业去向登记与核查）。生成时间：{{ generated }}。")
    doc.add_paragraph("{%p if chapters.scale %}")
    doc.add_heading("第一章 学校概况与毕业生规模结构", 1)
    doc.add_paragraph("{{ year }}届毕业生共 {{ total.graduates }} 人。按学历层次：")
    _table(doc, ["学历层次", "毕业生人数", "占比"], "by_degree", ["{{ r.group }}", "{{ r.graduates }}", "{{ r.share }}"])
    doc.add_paragraph("按性别：")
    _table(doc, ["性别", "毕业生人数", "占比"], "by_gender", ["{{ r.group }}", "{{ r.graduates }}", "{{ r.share }}"])
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if chapters.destinations %}")
    doc.add_heading("第二章 毕业去向落实情况", 1)
    doc.add_paragraph("截至{{ at }}，{{ year }}届毕业生毕业去向落实率为 {{ total.rate }}（{{ total.placed }} / "
                      "{{ total.graduates }}）；升学（国内）{{ total.study_domestic }} 人，出国（境）"
                      "{{ total.study_abroad }} 人。各学院毕业去向落实率：")
    doc.add_paragraph("{{ chart_rate }}")
    _table(doc, ["学院", "毕业生", "已落实", "落实率"], "by_college",
           ["{{ r.group }}", "{{ r.graduates }}", "{{ r.placed }}", "{{ r.rate }}"])
    doc.add_paragraph("毕业去向分布：")
    doc.add_paragraph("{{ chart_categories }}")
    _table(doc, ["类别", "去向", "人数", "占比"], "categories",
           ["{{ r.group }}", "{{ r.label }}", "{{ r.graduates }}", "{{ r.share }}"])
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if chapters.flows %}")
    doc.add_heading("第三章 就业流向", 1)
    doc.add_paragraph("按就业地区（省份）：")
    _table(doc, ["地区", "人数"], "by_region", ["{{ r.group }}", "{{ r.graduates }}"])
    doc.add_paragraph("按单位性质：")
    _table(doc, ["单位性质", "人数"], "by_employer_kind", ["{{ r.group }}", "{{ r.graduates }}"])
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if chapters.alumni %}")
    doc.add_heading("第四章 就业质量（校友跟踪调查）", 1)
    doc.add_paragraph("校友跟踪调查在毕业半年和毕业三年时进行；调查截止未答复者计入调查人数。")
    _table(doc, ["调查", "调查人数", "答复人数", "答复率", "就业满意度", "满意度均分（5 分制）", "换过工作"],
           "alumni.stages", ["{{ r.group }}", "{{ r.asked }}", "{{ r.answered }}", "{{ r.response_rate }}",
                             "{{ r.satisfied_rate }}", "{{ r.average }}", "{{ r.changed_job_rate }}"])
    doc.add_paragraph("工作满意度：")
    doc.add_paragraph("{{ chart_satisfaction }}")
    _table(doc, ["满意度", "毕业半年", "占比", "毕业三年", "占比"], "alumni.satisfaction",
           ["{{ r.label }}", "{{ r.n_6m }}", "{{ r.share_6m }}", "{{ r.n_3y }}", "{{ r.share_3y }}"])
    doc.add_paragraph("月收入：")
    doc.add_paragraph("{{ chart_salary }}")
    _table(doc, ["月收入区间", "毕业半年", "占比", "毕业三年", "占比"], "alumni.salary",
           ["{{ r.label }}", "{{ r.n_6m }}", "{{ r.share_6m }}", "{{ r.n_3y }}", "{{ r.share_3y }}"])
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if chapters.trend %}")
    doc.add_heading("第五章 近三届趋势", 1)
    _table(doc, ["届别", "毕业生", "已落实", "落实率（同期）"], "trend",
           ["{{ r.group }}", "{{ r.graduates }}", "{{ r.placed }}", "{{ r.rate }}"])
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if chapters.measures %}")
    doc.add_heading("第六章 就业工作举措与对教育教学的反馈", 1)
    doc.add_paragraph("{{ measures }}")
    doc.add_paragraph("{%p endif %}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def render(template: bytes, context: Mapping[str, Any], charts: Mapping[str, BarChart]) -> bytes:
    """Fill the template; `charts` name -> chart, drawn as an image (title, axis labels and units, CJK font)
    and put where `{{ name }}` stands. Values are XML-escaped, so text staff typed cannot break the file."""
    tpl = DocxTemplate(io.BytesIO(template))
    images = {name: InlineImage(tpl, io.BytesIO(render_bar_chart(chart)), width=Mm(150))
              for name, chart in charts.items()}
    tpl.render({**context, **images}, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
