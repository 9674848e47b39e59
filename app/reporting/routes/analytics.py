"""Process analytics pages: the processes one may analyse, and one process's figures with the heatmap on its
diagram and its SLA targets."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.identity.guards import permission_required, principal
from app.platform.source_texts import translate_bpmn
from app.reporting import analytics, charts, filters, operations, projection, services
from app.reporting.services import ReportingError

bp = Blueprint("analytics", __name__, url_prefix="/analytics", template_folder="../templates")
VIEW = "analytics.view"


def _process_or_404(process_key: str) -> str:
    if not analytics.may_read(principal(), process_key):
        abort(404)
    return process_key


def _period(args) -> tuple[analytics.Period, dict[str, str]]:
    errors: dict[str, str] = {}
    bounds = {key: filters.parse_date(args, key, errors) for key in ("from", "to")}
    if bounds["from"] and bounds["to"] and bounds["from"] > bounds["to"]:
        errors["to"] = _("The end date is before the start date.")
    return analytics.Period(bounds["from"], bounds["to"]), errors


def hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


@bp.get("/")
@permission_required(VIEW)
def index():
    return render_template("reporting/analytics_index.html", processes=analytics.visible_processes(principal()))


@bp.get("/<process_key>")
@permission_required(VIEW)
def process(process_key: str):
    _process_or_404(process_key)
    period, errors = _period(request.args)
    backlog = projection.catch_up_for_page()
    if errors:
        period = analytics.Period()
    cycle = analytics.cycle_time(process_key, period)
    times = analytics.task_times(process_key, period)
    heat = analytics.heatmap(times)
    weekly = analytics.throughput(process_key)
    ends = analytics.end_states(process_key, period)
    sla = analytics.sla(process_key, times)
    labels = cycle_labels()
    end_label = {"completed": _("Completed"), "terminated": _("Terminated")}
    figures = dict(
        cycle=charts.bar([labels[k] for k, _ in analytics.CYCLE_BUCKETS],
                         {_("Instances"): [cycle.buckets[k] for k, _ in analytics.CYCLE_BUCKETS]}),
        tasks=charts.bar([t.name for t in times], {_("Waiting (h)"): [hours(t.waiting_s) for t in times],
                                                   _("Working (h)"): [hours(t.working_s) for t in times]},
                         stacked=True, horizontal=True, unit=_("hours")),
        throughput=charts.line([w.isoformat() for w, _, _ in weekly],
                               {_("Completed"): [c for _, c, _ in weekly], _("Terminated"): [t for _, _, t in weekly]}),
        ends=charts.pie([(f"{end_label.get(s, s)} · {e}" if e else end_label.get(s, s), n) for s, e, n in ends]),
    )
    heat_marks = {spec: {"level": h["level"], "label": f"{hours(h['seconds'])} h",
                         "title": _("%(n)s runs, on average %(h)s h", n=h["count"], h=hours(h["seconds"]))}
                  for spec, h in heat.items()}
    return render_template(
        "reporting/analytics_process.html", process_key=process_key,
        name=dict(analytics.visible_processes(principal())).get(process_key, process_key),
        definition_id=analytics.latest_definition_id(process_key), cycle=cycle, times=times, heat=heat_marks,
        weekly=weekly, ends=ends, end_label=end_label, variants=analytics.variants(process_key, period), sla=sla,
        figures=figures, hours=hours, task_names={t.spec_id: t.name for t in times}, errors=errors,
        args=request.args, backlog=backlog), 422 if errors else 200


def cycle_labels() -> dict[str, str]:
    return {"h1": _("< 1 h"), "h8": _("1-8 h"), "d1": _("8-24 h"), "d3": _("1-3 days"), "d7": _("3-7 days"),
            "d14": _("1-2 weeks"), "d30": _("2-4 weeks"), "more": _("> 30 days")}


@bp.post("/<process_key>/sla")
@permission_required(VIEW)
def set_sla(process_key: str):
    _process_or_404(process_key)
    spec_id = (request.form.get("task") or "").strip()[:255]
    if not spec_id:
        abort(400)
    try:
        services.set_sla(process_key, spec_id, request.form.get("hours"), principal().id)
        flash(_("Target saved."), "success")
    except ReportingError as err:
        for message in err.errors.values():
            flash(message, "error")
        return redirect(url_for("analytics.process", process_key=process_key)), 303
    return redirect(url_for("analytics.process", process_key=process_key))


@bp.get("/<process_key>/diagram.bpmn")
@permission_required(VIEW)
def diagram_xml(process_key: str):
    _process_or_404(process_key)
    found = operations.definition(analytics.latest_definition_id(process_key) or 0) or abort(404)
    return Response(translate_bpmn(found.bpmn_xml), mimetype="application/xml",
                    headers={"X-Content-Type-Options": "nosniff", "Vary": "Cookie"})
