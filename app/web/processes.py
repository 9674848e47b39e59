"""Starting processes, and the requests I started."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.engine import EngineError
from app.services import processes
from app.web.security import permission_required, principal

bp = Blueprint("processes", __name__, url_prefix="/processes")


@bp.get("/")
@permission_required("process.start")
def start_page():
    return render_template("processes/start.html", definitions=processes.startable(principal()))


@bp.post("/<process_key>/start")
@permission_required("process.start")
def start(process_key: str):
    try:
        instance_id, task_guid = processes.start_process(principal(), process_key, request.remote_addr)
    except processes.NotStartable:
        abort(404)
    except EngineError as err:
        flash(_("The process could not start: %(error)s", error=str(err)), "error")
        return redirect(url_for("processes.start_page"))
    flash(_("Started. Request number %(id)s.", id=instance_id), "success")
    if task_guid:
        return redirect(url_for("tasks.show", task_guid=task_guid))
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.get("/mine")
@permission_required("process.start")
def mine():
    return render_template("processes/mine.html", instances=processes.started_by(principal()))
