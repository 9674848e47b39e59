"""Instance pages: the diagram with highlights, the timeline, open tasks; the admin overview."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import engine
from app.engine import EngineError
from app.services import instances
from app.services.instances import STATUSES
from app.web.params import page_number
from app.web.security import permission_required, principal

bp = Blueprint("instances", __name__, url_prefix="/instances")


@bp.get("/")
@permission_required("instance.view")
def overview():
    page = page_number()
    status = request.args.get("status") or None
    rows, counts, incidents = instances.overview(principal(), status, request.args.get("process") or None, page)
    return render_template("instances/overview.html", rows=rows, counts=counts, incidents=incidents,
                           statuses=STATUSES, status=status, page=page)


@bp.get("/<int:instance_id>")
@permission_required("instance.view")
def show(instance_id: int):
    found = instances.detail(principal(), instance_id)
    if found is None:
        abort(404)
    return render_template("instances/show.html", d=found)


@bp.get("/<int:instance_id>/diagram.bpmn")
@permission_required("instance.view")
def diagram(instance_id: int):
    instance = instances.visible_instance(principal(), instance_id)
    if instance is None:
        abort(404)
    from app.engine.models import ProcessDefinition
    from app.platform.extensions import db
    from app.platform.source_texts import translate_bpmn

    # the names on the diagram (process, lanes, tasks, events, flows) in the reader's language
    xml = translate_bpmn(db.session.get(ProcessDefinition, instance.definition_id).bpmn_xml)
    return Response(xml, mimetype="application/xml", headers={"X-Content-Type-Options": "nosniff",
                                                              "Vary": "Cookie"})


@bp.post("/<int:instance_id>/<any(suspend, resume, terminate):action>")
@permission_required("instance.manage")
def manage(instance_id: int, action: str):
    if instances.visible_instance(principal(), instance_id) is None:
        abort(404)
    operation = {"suspend": engine.suspend, "resume": engine.resume, "terminate": engine.terminate}[action]
    try:
        operation(instance_id, principal().id, remote_addr=request.remote_addr)
        flash(_("Done."), "success")
    except EngineError as err:
        flash(str(err), "error")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/incidents/<int:incident_id>/retry")
@permission_required("incident.manage")
def retry_incident(incident_id: int):
    try:
        engine.retry_incident(incident_id, principal().id)
        flash(_("Retried."), "success")
    except EngineError as err:
        flash(str(err), "error")
    return redirect(url_for("instances.overview"))
