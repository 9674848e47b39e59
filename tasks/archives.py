"""Service operations of the archive processes (bpmn/archives/) and the import's RQ entry point: thin, they
load their parameters and call app/archives services. Each is safe to run twice (a record is written once
per instance and task run)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.archives import imports, schemas, services
from app.archives.services import ArchiveError
from app.engine.registry import JobContext, operation
from app.processes.queries import task_actor


def _source(ctx: JobContext, task: str) -> str:
    """What a row written by this service task is keyed by: one per instance and task run (the job's key)."""
    return ctx.idempotency_key


@operation("archives.record")
def record(params: dict, ctx: JobContext) -> dict:
    p = schemas.RECORD.load(params)
    actor, _addr = task_actor(ctx.instance_id, p["task"])
    record_id = services.add_record(p["student_id"], p["kind"], p["data"], actor, source=_source(ctx, p["task"]))
    return {"record_id": record_id}


@operation("archives.register_destination")
def register_destination(params: dict, ctx: JobContext) -> dict:
    """A registration the rules refuse goes back to the student with the reason (not an incident)."""
    p = schemas.REGISTER.load(params)
    actor, _addr = task_actor(ctx.instance_id, p["task"])
    try:
        destination_id = services.register_destination(p["student_id"], p["values"], actor,
                                                       source=_source(ctx, p["task"]))
    except ArchiveError as err:
        return {"ok": False, "problem": _(str(err)), "field": err.field}
    return {"ok": True, "destination_id": destination_id}


@operation("archives.check_destination")
def check_destination(params: dict, ctx: JobContext) -> dict:
    p = schemas.CHECK.load(params)
    actor, _addr = task_actor(ctx.instance_id, p["task"])
    return {"status": services.check_destination(p["student_id"], p["stage"], p["decision"], p["comment"], actor)}


@operation("archives.remind")
def remind(params: dict, ctx: JobContext) -> dict:
    p = schemas.REMIND.load(params)
    return {"sent": services.remind(p["student_id"], p["what"], f"{ctx.instance_id}:{p['key']}")}


@operation("archives.seal")
def seal(params: dict, ctx: JobContext) -> dict:
    p = schemas.STUDENT.load(params)
    services.seal(p["student_id"])
    return {"sealed": True}


@operation("archives.apply_update")
def apply_update(params: dict, ctx: JobContext) -> dict:
    p = schemas.APPLY_UPDATE.load(params)
    actor, _addr = task_actor(ctx.instance_id, p["task"])
    return {"applied": services.apply_update(p["student_id"], p["decision"], p["data"], actor,
                                             source=_source(ctx, p["task"]))}


def run_import(run_id: int) -> None:
    """RQ entry point: commit a checked import (all or nothing), reporting progress."""
    imports.commit_run(run_id)
