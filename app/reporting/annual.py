"""The annual graduate employment quality report: its figures (from the archives' destinations as of the
report's date, like the destination-rate report, and the alumni follow-ups), the staff's own text, the
template (the built-in one or the one staff uploaded), the Word document with its charts, and its PDF through
the document converter (LibreOffice). Made on the document worker (annual_runs.py)."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app

from app.archives import followups
from app.archives import queries as archive_queries
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.reporting import office
from documents import annual_report
from documents.png_chart import BarChart
from documents.render import docx_to_pdf
from documents.settings import DocumentSettings

CHAPTERS = ("scale", "destinations", "flows", "alumni", "trend", "measures")
STAGE_LABELS = {"6m": "毕业半年", "3y": "毕业三年"}
STAGE_COHORT = {"6m": 1, "3y": 3}   # the cohort a report of year Y reads: Y-1 half a year on, Y-3 three years on
MAX_TEMPLATE = 5 * 1024 * 1024


class TemplateRefused(Exception):
    """An uploaded template that is not a Word document or does not render."""


@dataclass(frozen=True)
class Request:
    year: int
    at: date
    chapters: frozenset[str]
    measures: str


def _percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def _rows(at: date, by: str, year: int) -> list[dict]:
    rows = archive_queries.destination_counts(at, (by,), graduation_year=year)
    return [{"group": str(r[by] or "—"), "graduates": r["graduates"], "placed": r["placed"]} for r in rows]


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def alumni(req: Request) -> tuple[dict, list[followups.FollowupSummary]]:
    """The follow-up chapter's figures: per stage, the cohort it speaks about (a report of year Y: Y-1 half a
    year after graduation, Y-3 three years after), as recorded by the report's date."""
    found = [followups.summary(stage, req.year - STAGE_COHORT[stage], req.at) for stage in followups.STAGES]
    stages = [{"group": f"{STAGE_LABELS[f.stage]}（{f.graduation_year}届）", "asked": f.asked,
               "answered": f.answered, "response_rate": _rate(f.response_rate),
               "satisfied_rate": _rate(f.satisfied_rate),
               "average": "—" if f.average_score is None else f"{f.average_score:.2f}",
               "changed_job_rate": _rate(f.changed_job_rate)} for f in found]
    share = lambda n, f: _percent(n, f.rated)  # noqa: E731
    satisfaction = [{"label": label, **{f"n_{f.stage}": f.satisfaction[value] for f in found},
                     **{f"share_{f.stage}": share(f.satisfaction[value], f) for f in found}}
                    for value, label in followups.SATISFACTION]
    salary = [{"label": label, **{f"n_{f.stage}": f.salary[value] for f in found},
               **{f"share_{f.stage}": _percent(f.salary[value], sum(f.salary.values())) for f in found}}
              for value, label in followups.SALARY_BANDS]
    return {"stages": stages, "satisfaction": satisfaction, "salary": salary}, found


def context(req: Request) -> tuple[dict, dict[str, BarChart]]:
    report = office.destination_report(req.at, req.year, "college", None)
    total = report.total
    by_college = [{"group": r.group, "graduates": r.graduates, "placed": r.placed,
                   "rate": _percent(r.placed, r.graduates)} for r in report.rows]
    categories = [{"group": group, "label": label, "graduates": n, "share": _percent(n, total.graduates)}
                  for _code, group, label, n in report.categories]
    shares = lambda rows: [dict(r, share=_percent(r["graduates"], total.graduates)) for r in rows]  # noqa: E731
    trend = []
    for back in (2, 1, 0):
        year, at = req.year - back, _same_day(req.at, back)
        past = office.destination_report(at, year, "college", None).total
        trend.append({"group": f"{year}届（截至 {at.isoformat()}）", "graduates": past.graduates,
                      "placed": past.placed, "rate": _percent(past.placed, past.graduates)})
    ctx = {
        "university": current_app.config.get("UNIVERSITY_NAME", ""), "year": req.year, "at": req.at.isoformat(),
        "generated": utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        "chapters": {c: c in req.chapters for c in CHAPTERS},
        "total": {"graduates": total.graduates, "placed": total.placed, "rate": _percent(total.placed, total.graduates),
                  "study_domestic": total.study_domestic, "study_abroad": total.study_abroad},
        "by_degree": shares(_rows(req.at, "degree", req.year)), "by_gender": shares(_rows(req.at, "gender", req.year)),
        "by_college": by_college, "categories": categories,
        "by_region": [r for r in _rows(req.at, "region", req.year) if r["group"] != "—"],
        "by_employer_kind": [r for r in _rows(req.at, "employer_kind", req.year) if r["group"] != "—"],
        "trend": trend, "measures": req.measures,
    }
    ctx["alumni"], found = alumni(req)
    source = f"数据来源：学生档案（毕业去向登记与核查），截至 {req.at.isoformat()}"
    half = found[0]
    charts = {
        "chart_rate": BarChart(f"{req.year}届各学院毕业去向落实率", [r.group for r in report.rows],
                               [round(r.rate * 100, 1) if r.rate else 0 for r in report.rows], "学院", "落实率",
                               unit="%", maximum=100, source=source),
        "chart_categories": BarChart(f"{req.year}届毕业去向分布", [label for _c, _g, label, _n in report.categories],
                                     [float(n) for *_rest, n in report.categories], "毕业去向", "人数",
                                     unit="人", horizontal=True, source=source),
        "chart_satisfaction": BarChart(f"{half.graduation_year}届毕业半年后就业满意度",
                                       [label for _v, label in followups.SATISFACTION],
                                       [float(half.satisfaction[v]) for v, _l in followups.SATISFACTION],
                                       "满意度", "人数", unit="人",
                                       source=f"数据来源：校友跟踪调查（毕业半年），截至 {req.at.isoformat()}"),
        "chart_salary": BarChart(f"{half.graduation_year}届毕业半年后月收入分布",
                                 [label for _v, label in followups.SALARY_BANDS],
                                 [float(half.salary[v]) for v, _l in followups.SALARY_BANDS], "月收入区间", "人数",
                                 unit="人", source=f"数据来源：校友跟踪调查（毕业半年），截至 {req.at.isoformat()}"),
    }
    return ctx, charts


def _same_day(day: date, years_back: int) -> date:
    try:
        return day.replace(year=day.year - years_back)
    except ValueError:
        return day.replace(year=day.year - years_back, day=28)


def template_path() -> Path:
    return Path(current_app.config["VAR_DIR"]) / "reporting" / "annual_report_template.docx"


def template() -> bytes:
    """The template staff uploaded, else the built-in one."""
    path = template_path()
    return path.read_bytes() if path.exists() else annual_report.default_template()


def save_template(content: bytes) -> None:
    """Keep a template staff uploaded, once it is a Word document that renders with this year's figures'
    shape (a broken tag is refused here, not when the report is made)."""
    if len(content) > MAX_TEMPLATE:
        raise TemplateRefused("文件超过 5 MB")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise TemplateRefused("不是 Word 文档（.docx）")
    except zipfile.BadZipFile:
        raise TemplateRefused("不是 Word 文档（.docx）") from None
    sample, charts = _sample()
    try:
        annual_report.render(content, sample, charts)
    except Exception as err:  # noqa: BLE001 - any template error is the uploader's to fix
        raise TemplateRefused(f"模板无法生成报告：{type(err).__name__}: {str(err)[:200]}") from None
    path = template_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)


def _sample() -> tuple[dict, dict]:
    row = {"group": "示例", "graduates": 1, "placed": 1, "rate": "100%", "share": "100%", "label": "示例",
           "asked": 1, "answered": 1, "response_rate": "100%", "satisfied_rate": "100%", "average": "5.00",
           "changed_job_rate": "0.0%", "n_6m": 1, "n_3y": 1, "share_6m": "100%", "share_3y": "100%"}
    ctx = {"university": "", "year": 2026, "at": "2026-08-31", "generated": "", "measures": "",
           "chapters": {c: True for c in CHAPTERS},
           "total": {"graduates": 1, "placed": 1, "rate": "100%", "study_domestic": 0, "study_abroad": 0},
           **{k: [row] for k in ("by_degree", "by_gender", "by_college", "categories", "by_region",
                                 "by_employer_kind", "trend")},
           "alumni": {"stages": [row], "satisfaction": [row], "salary": [row]}}
    chart = BarChart("示例", ["示例"], [1.0], "类别", "人数")
    return ctx, {name: chart for name in CHART_NAMES}


CHART_NAMES = ("chart_rate", "chart_categories", "chart_satisfaction", "chart_salary")


def render(template_bytes: bytes, ctx: dict, charts: dict[str, BarChart]) -> bytes:
    """The Word document: the template filled with the figures, the charts drawn as images."""
    return annual_report.render(template_bytes, ctx, charts)


def to_pdf(word: bytes) -> bytes:
    """The document as PDF, converted by the long-lived LibreOffice of this (worker) process."""
    cfg = current_app.config
    settings = DocumentSettings(key_dir=Path(cfg["VAR_DIR"]) / "pki", key_passphrase="",
                                soffice_path=cfg.get("DOCUMENTS_SOFFICE", "soffice"))
    return docx_to_pdf(word, settings)
