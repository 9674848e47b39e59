"""Process pages: starting a process and the requests I started; instance pages (the diagram with
highlights, the timeline, open tasks) and the overview. Definitions are imported, deployed, downloaded and
migrated in the process library (app/modeler)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.identity.guards import permission_required, principal
from app.platform import params
from app.platform.params import page_number
from app.processes import queries, services
from app.processes.queries import STATUSES

processes_bp = Blueprint("processes", __name__, url_prefix="/processes", template_folder="templates")
bp = Blueprint("instances", __name__, url_prefix="/instances", template_folder="templates")


# -- starting ---------------------------------------------------------------------------------------------

@processes_bp.get("/")
@permission_required("process.start")
def start_page():
    return render_template("processes/start.html", definitions=queries.startable(principal()))


@processes_bp.post("/<process_key>/start")
@permission_required("process.start")
def start(process_key: str):
    try:
        instance_id, task_guid = services.start_process(principal(), process_key, request.remote_addr)
    except services.NotStartable:
        abort(404)
    except services.ProcessActionRefused as err:
        flash(_("The process could not start: %(error)s", error=str(err)), "error")
        return redirect(url_for("processes.start_page"))
    flash(_("Started. Request number %(id)s.", id=instance_id), "success")
    if task_guid:
        return redirect(url_for("tasks.show", task_guid=task_guid))
    return redirect(url_for("instances.show", instance_id=instance_id))


@processes_bp.get("/mine")
@permission_required("process.start")
def mine():
    return render_template("processes/mine.html", instances=queries.started_by(principal()))


# -- instances ----------------------------------------------------------------------------------------------

@bp.get("/")
@permission_required("instance.view")
def overview():
    page = page_number()
    status = params.text(request.args, "status", 20)
    rows, counts, incidents = queries.overview(principal(), status, params.text(request.args, "process", 255), page)
    return render_template("instances/overview.html", rows=rows, counts=counts, incidents=incidents,
                           statuses=STATUSES, status=status, page=page)


@bp.get("/<int:instance_id>")
@permission_required("instance.view")
def show(instance_id: int):
    found = queries.detail(principal(), instance_id)
    if found is None:
        abort(404)
    return render_template("instances/show.html", d=found, errors={})


@bp.get("/<int:instance_id>/diagram.bpmn")
@permission_required("instance.view")
def diagram(instance_id: int):
    xml = queries.diagram_xml(principal(), instance_id)
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml", headers={"X-Content-Type-Options": "nosniff",
                                                              "Vary": "Cookie"})


@bp.post("/<int:instance_id>/<any(suspend, resume, terminate):action>")
@permission_required("instance.manage")
def manage(instance_id: int, action: str):
    """Suspend and terminate need a reason (kept in the history: the people waiting on the process read it);
    the page asks for it and for a confirmation."""
    if queries.visible_instance(principal(), instance_id) is None:
        abort(404)
    reason = " ".join((request.form.get("reason") or "").split())
    if action in services.NEEDS_REASON and not reason:
        return render_template("instances/show.html", d=queries.detail(principal(), instance_id), open_action=action,
                               errors={action: _("Give a reason: the people waiting on this process will read it.")}), 422
    if len(reason) > services.MAX_REASON:
        return render_template("instances/show.html", d=queries.detail(principal(), instance_id), open_action=action,
                               errors={action: _("At most %(n)s characters.", n=services.MAX_REASON)}), 422
    try:
        services.manage_instance(instance_id, action, principal().id, remote_addr=request.remote_addr,
                                 reason=reason or None)
        flash({"suspend": _("The process is on hold."), "resume": _("The process is running again."),
               "terminate": _("The process was stopped.")}[action], "success")
    except services.ProcessActionRefused as err:
        flash(str(err), "error")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/incidents/<int:incident_id>/retry")
@permission_required("incident.manage")
def retry_incident(incident_id: int):
    try:
        services.retry_incident(incident_id, principal().id)
        flash(_("Retried."), "success")
    except services.ProcessActionRefused as err:
        flash(str(err), "error")
    return redirect(url_for("instances.overview"))
