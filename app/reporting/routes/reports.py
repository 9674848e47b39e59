"""The office's report pages: 毕业去向落实率 and destination categories, agreements, the recruiting funnel;
each with filters, a chart beside its table, CSV and Excel export and a print layout. Counselors see only
their colleges."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.identity.guards import permission_required, principal
from app.platform import oplog
from app.platform.areas import registry
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.reporting import annual, annual_runs, charts, exports, filters, office

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="../templates")
VIEW = "report.view"


def _date(name: str, default: date | None, errors: dict[str, str]) -> date | None:
    return filters.parse_date(request.args, name, errors, default)


def _export(fmt: str, name: str, title: str, note: str, headers, rows) -> Response:
    user = principal()
    oplog.record_export(user.id, str(user.id), request.full_path, request.endpoint or "", request.remote_addr)
    content = exports.table_file(fmt, title, note, headers, rows)
    return Response(content, mimetype=exports.FORMATS[fmt], headers={
        "Content-Disposition": f"attachment; filename={name}-{utcnow().astimezone(LOCAL_TZ):%Y%m%d}.{fmt}"})


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@bp.get("/")
@permission_required(VIEW)
def index():
    me = principal()
    definitions = [(area.label, r) for area in registry().areas for r in area.reports if me.can(r.permission)]
    return render_template("reporting/reports_index.html", definitions=definitions,
                           limited=office.report_colleges(me) is not None)


@bp.get("/destinations")
@permission_required(VIEW)
def destinations():
    errors: dict[str, str] = {}
    today = utcnow().astimezone(LOCAL_TZ).date()
    at = _date("at", today, errors)
    year_text = (request.args.get("year") or "").strip()
    year = office.cohort_of(at)
    if year_text:
        if year_text.isdigit() and 2000 <= int(year_text) <= 2100:
            year = int(year_text)
        else:
            errors["year"] = _("Enter a graduation year such as 2026.")
    by = request.args.get("by") or "college"
    if by not in office.DIMENSIONS:
        errors["by"] = _("Choose one of the listed breakdowns.")
        by = "college"
    colleges = office.report_colleges(principal())
    report = office.destination_report(at, year, by, colleges)
    title = _("Graduate destination rate (毕业去向落实率)")
    note = _("Cohort %(year)s, as registered and confirmed on %(at)s; source: student archives.", year=year,
             at=at.isoformat())
    fmt = request.args.get("format")
    if fmt in exports.FORMATS and not errors:
        headers = [_("Group"), _("Graduates"), _("Placed"), _("Rate"), _("Further study (China)"),
                   _("Further study (abroad)")]
        rows = [[r.group, r.graduates, r.placed, _percent(r.rate), r.study_domestic, r.study_abroad]
                for r in [*report.rows, report.total]]
        rows[-1][0] = _("Total")
        rows.append([])
        rows.extend([[group, label, n] for _code, group, label, n in report.categories])
        return _export(fmt, "destination-rate", title, note, headers, rows)
    figures = {
        "rate": charts.bar([r.group for r in report.rows],
                           {_("Rate (%)"): [round((r.rate or 0) * 100, 1) for r in report.rows]}, unit="%"),
        "categories": charts.pie([(label, n) for _c, _g, label, n in report.categories if n]),
    }
    return render_template("reporting/reports_destinations.html", r=report, figures=figures, errors=errors,
                           dimensions=office.DIMENSIONS, percent=_percent, note=note, title=title,
                           limited=colleges is not None), 422 if errors else 200


@bp.get("/agreements")
@permission_required(VIEW)
def agreements():
    errors: dict[str, str] = {}
    start = _date("from", None, errors)
    end = _date("to", None, errors)
    if start and end and start > end:
        errors["to"] = _("The end date is before the start date.")
    colleges = office.report_colleges(principal())
    rows, total = office.agreement_report(start, end, colleges) if not errors else ([], office.AgreementRow(""))
    title = _("Agreements per college")
    note = _("Offered from %(start)s to %(end)s; source: agreements.", start=start or "—", end=end or "—")
    headers = [_("College"), _("Offers"), _("Accepted"), _("Signed"), _("Rescinded"), _("Outstanding"),
               _("Median days to sign")]
    fmt = request.args.get("format")
    if fmt in exports.FORMATS and not errors:
        table = [[r.college or _("Total"), r.offers, r.accepted, r.signed, r.rescinded, r.outstanding,
                  r.median_days_to_sign if r.median_days_to_sign is not None else ""] for r in [*rows, total]]
        return _export(fmt, "agreements", title, note, headers, table)
    figure = charts.bar([r.college for r in rows], {_("Offers"): [r.offers for r in rows],
                                                    _("Signed"): [r.signed for r in rows],
                                                    _("Rescinded"): [r.rescinded for r in rows]})
    return render_template("reporting/reports_agreements.html", rows=rows, total=total, figure=figure,
                           headers=headers, errors=errors, note=note, title=title,
                           limited=colleges is not None), 422 if errors else 200


@bp.get("/funnel")
@permission_required(VIEW)
def funnel():
    me = principal()
    fairs = office.fairs(me)
    fair_text = request.args.get("fair") or ""
    fair_id = int(fair_text) if fair_text.isdigit() and any(f.id == int(fair_text) for f in fairs) else None
    lines, total = office.funnel_report(fair_id, office.report_colleges(me))
    labels = funnel_labels()
    title = _("Recruiting funnel")
    note = _("Distinct students per step; source: applications, invitations, fair queues and agreements.")
    fmt = request.args.get("format")
    if fmt in exports.FORMATS:
        headers = [_("Employer"), *labels.values()]
        table = [[line.employer, *line.counts.values()] for line in lines] + [[_("Total"), *total.values()]]
        return _export(fmt, "funnel", title, note, headers, table)
    figure = {"tooltip": {"trigger": "item"}, "color": charts.PALETTE, "series": [{
        "type": "funnel", "sort": "none", "left": "10%", "width": "80%", "label": {"formatter": "{b}: {c}"},
        "data": [{"name": labels[s], "value": total[s]} for s in labels]}]}
    return render_template("reporting/reports_funnel.html", lines=lines, total=total, labels=labels, fairs=fairs,
                           fair_id=fair_id, figure=figure, note=note, title=title,
                           limited=office.report_colleges(me) is not None)


@bp.get("/devices")
@permission_required(VIEW)
def devices():
    errors: dict[str, str] = {}
    today = utcnow().astimezone(LOCAL_TZ).date()
    start = _date("from", today.replace(day=1), errors)
    end = _date("to", today, errors)
    if start > end:
        errors["to"] = _("The end date is before the start date.")
    colleges = office.report_colleges(principal())
    resources, departments, total = office.device_usage(start, end, colleges) if not errors else ([], [], None)
    title = _("Room and device usage")
    note = _("Bookings from %(start)s to %(end)s whose time came; source: bookings.", start=start, end=end)
    headers = [_("Resource or department"), _("Bookings"), _("Hours booked"), _("Hours used"), _("Use rate"),
               _("No-shows"), _("No-show rate")]
    lines = [*resources, *departments]
    fmt = request.args.get("format")
    if fmt in exports.FORMATS and not errors:
        table = [[line.label, line.bookings, line.booked_hours, line.used_hours, _percent(line.use_rate),
                  line.no_shows, _percent(line.no_show_rate)] for line in lines]
        return _export(fmt, "device-usage", title, note, headers, table)
    figure = charts.bar([line.label for line in resources or departments],
                        {_("Hours booked"): [line.booked_hours for line in resources or departments],
                         _("Hours used"): [line.used_hours for line in resources or departments]})
    return render_template("reporting/reports_devices.html", resources=resources, departments=departments,
                           total=total, figure=figure, headers=headers, percent=_percent, errors=errors, note=note,
                           title=title, limited=colleges is not None), 422 if errors else 200


def funnel_labels() -> dict[str, str]:
    return {"applied": _("Applied"), "invited": _("Invited"), "accepted": _("Accepted the invitation"),
            "checked_in": _("Checked in at a fair"), "interviewed": _("Interviewed"), "offer": _("Offer"),
            "signed": _("Agreement signed")}


# -- the annual report -------------------------------------------------------------------------------------

ANNUAL = "report.annual"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_MEASURES = 20_000


def chapter_labels() -> dict[str, str]:
    return {"scale": _("School and graduates (size and structure)"), "destinations": _("Destinations"),
            "flows": _("Where graduates went (regions, employer kinds)"),
            "alumni": _("Employment quality (alumni follow-ups at 6 months and 3 years)"),
            "trend": _("The last three cohorts"), "measures": _("Measures and feedback (your text)")}


def run_status_labels() -> dict[str, str]:
    return {"queued": _("Waiting for the document worker"), "running": _("Being made"), "done": _("Ready"),
            "failed": _("Failed")}


@bp.get("/annual")
@permission_required(ANNUAL)
def annual_form():
    today = utcnow().astimezone(LOCAL_TZ).date()
    return render_template("reporting/reports_annual.html", year=office.cohort_of(today), at=today,
                           chapters=chapter_labels(), chosen=set(annual.CHAPTERS), measures="", errors={},
                           runs=annual_runs.recent(), status_labels=run_status_labels(),
                           title=_("Annual graduate employment quality report"), limited=False)


@bp.post("/annual")
@permission_required(ANNUAL)
def annual_make():
    errors: dict[str, str] = {}
    at = filters.parse_date(request.form, "at", errors)
    year_text = (request.form.get("year") or "").strip()
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    if year is None:
        errors["year"] = _("Enter a graduation year such as 2026.")
    if at is None and "at" not in errors:
        errors["at"] = _("Enter a date as YYYY-MM-DD.")
    chosen = {c for c in request.form.getlist("chapter") if c in annual.CHAPTERS}
    if not chosen:
        errors["chapter"] = _("Choose at least one chapter.")
    measures = request.form.get("measures") or ""
    if len(measures) > MAX_MEASURES:
        errors["measures"] = _("At most %(n)s characters.", n=MAX_MEASURES)
    if errors:
        return render_template("reporting/reports_annual.html", year=year_text, at=request.form.get("at", ""),
                               chapters=chapter_labels(), chosen=chosen, measures=measures, errors=errors,
                               runs=annual_runs.recent(), status_labels=run_status_labels(),
                               title=_("Annual graduate employment quality report"), limited=False), 422
    run_id = annual_runs.request(annual.Request(year, at, frozenset(chosen), measures), principal().id)
    return redirect(url_for("reports.annual_run", run_id=run_id)), 303


@bp.get("/annual/runs/<int:run_id>")
@permission_required(ANNUAL)
def annual_run(run_id: int):
    run = annual_runs.find(run_id) or abort(404)
    stalled = annual_runs.stalled(run)
    return render_template("reporting/reports_annual_run.html", run=run, stalled=stalled,
                           pending=run.status in annual_runs.PENDING and not stalled,
                           progress=annual_runs.current_progress(run_id), chapters=chapter_labels(),
                           title=_("Annual graduate employment quality report"), limited=False)


@bp.get("/annual/runs/<int:run_id>/report.<any(docx, pdf):fmt>")
@permission_required(ANNUAL)
def annual_download(run_id: int, fmt: str):
    run = annual_runs.find(run_id) or abort(404)
    if run.status != annual_runs.DONE:
        abort(404)
    content = run.docx if fmt == "docx" else run.pdf
    if content is None:
        abort(404)
    user = principal()
    oplog.record_export(user.id, str(user.id), request.path, request.endpoint or "", request.remote_addr)
    return Response(content, mimetype=DOCX if fmt == "docx" else "application/pdf",
                    headers={"Content-Disposition": f"attachment; filename=annual-report-{run.year}.{fmt}"})


@bp.get("/annual/template.docx")
@permission_required(ANNUAL)
def annual_template():
    return Response(annual.template(), mimetype=DOCX,
                    headers={"Content-Disposition": "attachment; filename=annual-report-template.docx"})


@bp.post("/annual/template")
@permission_required(ANNUAL)
def annual_template_upload():
    upload = request.files.get("template")
    if upload is None or not upload.filename:
        flash(_("Choose a .docx file."), "error")
        return redirect(url_for("reports.annual_form")), 303
    try:
        annual.save_template(upload.read(annual.MAX_TEMPLATE + 1))
    except annual.TemplateRefused as err:
        flash(str(err), "error")
        return redirect(url_for("reports.annual_form")), 303
    flash(_("Template saved: the next reports use it."), "success")
    return redirect(url_for("reports.annual_form"))
