"""Operations pages (admins): the overview, instances with filters, incidents, stuck instances, health, the
diagram with badges. Thin: parse, call one query or service, render."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.identity.guards import permission_required, principal
from app.platform.params import page_number, whole_number
from app.platform.source_texts import translate_bpmn
from app.reporting import charts, filters, operations, projection, services
from app.reporting.services import ReportingError

ops_bp = Blueprint("operations", __name__, url_prefix="/operations", template_folder="../templates")

OPS = "operations.view"


def _flash_errors(err: ReportingError) -> None:
    for message in err.errors.values():
        flash(message, "error")


# -- dashboard ---------------------------------------------------------------------------------------------

def state_labels() -> dict[str, str]:
    return {"running": _("Running"), "suspended": _("Suspended"), "error": _("Error"), "completed": _("Completed"),
            "terminated": _("Terminated")}


def age_labels() -> list[tuple[str, str]]:
    return [("lt1d", _("Under 1 day")), ("d1_3", _("1-3 days")), ("d3_7", _("3-7 days")), ("gt7d", _("Over 7 days"))]


@ops_bp.get("/")
@permission_required(OPS)
def dashboard():
    backlog = projection.catch_up_for_page()
    o = operations.overview()
    labels = state_labels()
    state_series = {labels[s]: [p.counts.get(s, 0) for p in o.processes] for s in operations.STATES}
    age_series = {label: [lane.buckets[key] for lane in o.lanes] for key, label in age_labels()}
    return render_template("reporting/ops_dashboard.html", o=o, states=operations.STATES, charts=charts,
                           state_series=state_series, age_series=age_series, age_labels=age_labels(),
                           overdue=operations.overdue_tasks(limit=20), backlog=backlog)


@ops_bp.get("/stuck")
@permission_required(OPS)
def stuck():
    raw = request.args.get("days", str(operations.STUCK_AFTER_DAYS))
    days = whole_number(raw, 1, 3650)
    if days is None:
        return render_template("reporting/ops_stuck.html", rows=[], days=raw,
                               errors={"days": _("Enter a number of days between 1 and 3650.")}), 422
    return render_template("reporting/ops_stuck.html", rows=operations.stuck_instances(days), days=days, errors={})


@ops_bp.get("/health")
@permission_required(OPS)
def health():
    return render_template("reporting/ops_health.html", h=operations.health())


# -- instances --------------------------------------------------------------------------------------------

@ops_bp.get("/instances")
@permission_required(OPS)
def instances():
    found, errors = filters.instance_filter(request.args)
    page = page_number()
    rows = operations.instances(found, page) if not errors else []
    return render_template("reporting/ops_instances.html", rows=rows, f=found, errors=errors, page=page,
                           query=filters.as_query(found), processes=operations.process_keys(),
                           states=operations.STATES, saved=operations.saved_filters(principal().id)
                           ), 422 if errors else 200


@ops_bp.post("/filters")
@permission_required(OPS)
def save_filter():
    found, errors = filters.instance_filter(request.form)
    if errors:
        for message in errors.values():
            flash(message, "error")
        return redirect(url_for("operations.instances")), 303
    try:
        services.save_filter(principal().id, request.form.get("name"), filters.as_query(found))
        flash(_("Filter saved."), "success")
    except ReportingError as err:
        _flash_errors(err)
    return redirect(url_for("operations.instances", **filters.as_query(found)))


@ops_bp.post("/filters/<int:filter_id>/delete")
@permission_required(OPS)
def delete_filter(filter_id: int):
    try:
        services.delete_filter(principal().id, filter_id)
    except ReportingError:
        abort(404)
    return redirect(url_for("operations.instances"))


# -- incidents --------------------------------------------------------------------------------------------

@ops_bp.get("/incidents")
@permission_required(OPS)
def incidents():
    process = request.args.get("process") or None
    return render_template("reporting/ops_incidents.html", rows=operations.incidents(process), process=process,
                           processes=operations.process_keys())


@ops_bp.get("/incidents/<int:incident_id>")
@permission_required(OPS)
def incident(incident_id: int):
    found = operations.incident_detail(incident_id) or abort(404)
    return render_template("reporting/ops_incident.html", d=found)


@ops_bp.post("/incidents/retry")
@permission_required("incident.manage")
def retry():
    ids = [i for i in map(whole_number, request.form.getlist("incident")) if i is not None]
    try:
        done, refused = services.retry_incidents(ids, principal().id)
    except ReportingError as err:
        _flash_errors(err)
        return redirect(url_for("operations.incidents")), 303
    if done:
        flash(_("%(n)s incidents retried.", n=len(done)), "success")
    for incident_id, why in refused.items():
        flash(_("Incident %(id)s: %(error)s", id=incident_id, error=why), "error")
    back = request.form.get("back")
    if back == "detail" and len(ids) == 1:
        return redirect(url_for("operations.incident", incident_id=ids[0]))
    return redirect(url_for("operations.incidents"))


@ops_bp.post("/incidents/<int:incident_id>/resolve")
@permission_required("incident.manage")
def resolve(incident_id: int):
    try:
        services.resolve_incident(incident_id, principal().id, request.form.get("note"))
        flash(_("Incident marked as resolved."), "success")
    except ReportingError as err:
        _flash_errors(err)
    return redirect(url_for("operations.incident", incident_id=incident_id))


@ops_bp.post("/incidents/<int:incident_id>/comment")
@permission_required("incident.manage")
def comment(incident_id: int):
    try:
        services.comment_incident(incident_id, principal().id, request.form.get("body"))
    except ReportingError as err:
        if "" in err.errors:
            abort(404)
        _flash_errors(err)
    return redirect(url_for("operations.incident", incident_id=incident_id))


# -- the diagram with badges -----------------------------------------------------------------------------

@ops_bp.get("/definitions/<int:definition_id>")
@permission_required(OPS)
def diagram(definition_id: int):
    found = operations.definition(definition_id) or abort(404)
    return render_template("reporting/ops_diagram.html", d=found, badges=operations.element_badges(definition_id))


@ops_bp.get("/definitions/<int:definition_id>/diagram.bpmn")
@permission_required(OPS)
def diagram_xml(definition_id: int):
    found = operations.definition(definition_id) or abort(404)
    return Response(translate_bpmn(found.bpmn_xml), mimetype="application/xml",
                    headers={"X-Content-Type-Options": "nosniff", "Vary": "Cookie"})
