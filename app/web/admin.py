"""Administration: the operation log, process definitions (upload, versions, migration)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import engine
from app.engine import DeployError, EngineError
from app.engine.models import ProcessDefinition, ProcessInstance
from app.models import OperationLog
from app.platform.extensions import db
from app.web.params import page_number
from app.web.security import permission_required, principal

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAX_BPMN_UPLOAD = 2 * 1024 * 1024


@bp.get("/oplog")
@permission_required("oplog.view")
def oplog():
    page = page_number()
    query = select(OperationLog).order_by(OperationLog.id.desc())
    if request.args.get("user"):
        query = query.where(OperationLog.username == request.args["user"])
    rows = db.session.execute(query.limit(100).offset((page - 1) * 100)).scalars().all()
    return render_template("admin/oplog.html", rows=rows, page=page)


@bp.get("/processes")
@permission_required("process.deploy")
def processes():
    counts = dict(db.session.execute(
        select(ProcessInstance.definition_id, func.count()).where(ProcessInstance.status.in_(("running", "suspended")))
        .group_by(ProcessInstance.definition_id)).all())
    definitions = db.session.execute(select(ProcessDefinition).order_by(
        ProcessDefinition.process_key, ProcessDefinition.version.desc())).scalars().all()
    return render_template("admin/processes.html", definitions=definitions, running=counts, problems=None)


@bp.post("/processes")
@permission_required("process.deploy")
def upload():
    upload = request.files.get("bpmn")
    if upload is None or not upload.filename:
        flash(_("Choose a .bpmn file."), "error")
        return redirect(url_for("admin.processes"))
    content = upload.read(MAX_BPMN_UPLOAD + 1)
    try:
        if len(content) > MAX_BPMN_UPLOAD:
            raise DeployError([(upload.filename, None, _("file is larger than 2 MiB"))])
        deployed = engine.deploy_upload(upload.filename, content, deployed_by=principal().id)
    except DeployError as err:
        definitions = db.session.execute(select(ProcessDefinition).order_by(
            ProcessDefinition.process_key, ProcessDefinition.version.desc())).scalars().all()
        return render_template("admin/processes.html", definitions=definitions, running={},
                               problems=err.problems), 422
    for d in deployed:
        flash(_("%(name)s is now at version %(version)s.", name=d.name, version=d.version), "success")
    return redirect(url_for("admin.processes"))


@bp.get("/processes/<int:definition_id>/source.bpmn")
@permission_required("process.deploy")
def source(definition_id: int):
    definition = db.session.get(ProcessDefinition, definition_id) or abort(404)
    return definition.bpmn_xml, 200, {"Content-Type": "application/xml",
                                      "Content-Disposition": f"attachment; filename={definition.source_name}"}


@bp.post("/processes/<int:definition_id>/migrate")
@permission_required("process.deploy")
def migrate(definition_id: int):
    target = db.session.get(ProcessDefinition, definition_id) or abort(404)
    try:
        source_id = int(request.form.get("from_definition", ""))
        result = engine.migrate_all(source_id, target.id, principal().id)
    except (ValueError, EngineError) as err:
        flash(_("Migration failed: %(error)s", error=str(err)), "error")
        return redirect(url_for("admin.processes"))
    flash(_("%(n)s instances moved to version %(v)s.", n=len(result.migrated), v=target.version), "success")
    for instance_id, unmatched in result.refused.items():
        flash(_("Instance %(id)s stays: tasks %(tasks)s do not exist in the new version.", id=instance_id,
                tasks=", ".join(unmatched)), "error")
    return redirect(url_for("admin.processes"))
