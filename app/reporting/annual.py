"""The annual graduate employment quality report: its figures (from the archives' destinations as of the
report's date, like the destination-rate report), the staff's own text, the template (the built-in one or the
one staff uploaded), the Word document, and its PDF through the document converter (LibreOffice)."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app

from app.archives import queries as archive_queries
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.reporting import office
from documents import annual_report
from documents.render import docx_to_pdf
from documents.settings import DocumentSettings

CHAPTERS = ("scale", "destinations", "flows", "trend", "measures")
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


def context(req: Request) -> tuple[dict, dict[str, list[float]]]:
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
    charts = {"chart_rate": [round(r.rate * 100, 1) if r.rate else 0 for r in report.rows],
              "chart_categories": [float(n) for *_rest, n in report.categories]}
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
    row = {"group": "示例", "graduates": 1, "placed": 1, "rate": "100%", "share": "100%", "label": "示例"}
    ctx = {"university": "", "year": 2026, "at": "2026-08-31", "generated": "", "measures": "",
           "chapters": {c: True for c in CHAPTERS},
           "total": {"graduates": 1, "placed": 1, "rate": "100%", "study_domestic": 0, "study_abroad": 0},
           **{k: [row] for k in ("by_degree", "by_gender", "by_college", "categories", "by_region",
                                 "by_employer_kind", "trend")}}
    return ctx, {"chart_rate": [1.0], "chart_categories": [1.0]}


def docx(req: Request) -> bytes:
    ctx, charts = context(req)
    return annual_report.render(template(), ctx, charts)


def pdf(req: Request) -> bytes:
    """The same document as PDF, converted by the long-lived LibreOffice of this process."""
    cfg = current_app.config
    settings = DocumentSettings(key_dir=Path(cfg["VAR_DIR"]) / "pki", key_passphrase="",
                                soffice_path=cfg.get("DOCUMENTS_SOFFICE", "soffice"))
    return docx_to_pdf(docx(req), settings)
