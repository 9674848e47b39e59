"""Service operations of the agreement processes (the `spiffworkflow:serviceTaskOperator id`s in
bpmn/tripartite_agreement.bpmn, agreement_rescission.bpmn, employer_qualification.bpmn).

Thin: each finds who completed the user task the step is about (the `task` parameter names its BPMN id;
the actor comes from that task's `task_completed` history event), calls the service, and returns a
JSON result that the engine puts into task data. Every one is safe to run twice: the services check
the agreement's state and write each evidence entry once per job (`ctx.idempotency_key`).
"""
from __future__ import annotations

from sqlalchemy import select

from app.engine.models import HistoryEvent, OpenTask
from app.engine.registry import JobContext, operation
from app.models import Agreement
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from app.services import agreement_documents, agreement_notices, agreements, employers


def task_actor(instance_id: int, spec_id: str | None) -> tuple[int | None, str | None]:
    """Who completed the latest run of user task `spec_id` in this instance, and from which client address
    ((None, None): nobody, e.g. a timer)."""
    if not spec_id:
        return None, None
    row = db.session.execute(
        select(HistoryEvent.actor_id, HistoryEvent.remote_addr)
        .where(HistoryEvent.instance_id == instance_id, HistoryEvent.task_spec_id == spec_id,
               HistoryEvent.event_type == "task_completed")
        .order_by(HistoryEvent.id.desc()).limit(1)).one_or_none()
    return (row.actor_id, row.remote_addr) if row is not None else (None, None)


@operation("agreement.respond")
def respond(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return agreements.respond(params["agreement_id"], params["decision"], params.get("reason") or "",
                              params.get("contact") or {}, actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.review")
def review(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return agreements.review(params["agreement_id"], params["stage"], params["decision"], params.get("comment"),
                             params.get("return_to") or None, actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.update_terms")
def update_terms(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return agreements.update_terms(params["agreement_id"], params["part"], params.get("values") or {}, actor,
                                   ctx.idempotency_key, remote_addr=addr)


@operation("agreement.set_status")
def set_status(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return agreements.set_status(params["agreement_id"], params["status"], params.get("act") or None,
                                 params.get("reason") or None, actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.assign_number")
def assign_number(params: dict, ctx: JobContext) -> str:
    return agreements.assign_number(params["agreement_id"], ctx.idempotency_key)


def _still_signing(agreement_id: int) -> dict | None:
    status = db.session.execute(select(Agreement.status).where(Agreement.id == agreement_id)).scalar()
    db.session.rollback()
    if status not in ("signing", "in_force"):
        return {"skipped": True, "status": status}
    return None


@operation("agreement.render")
def render(params: dict, ctx: JobContext) -> dict:
    """Version 1 of the PDF (LibreOffice): only here, in a worker, never in a web request."""
    return _still_signing(params["agreement_id"]) or agreement_documents.render(params["agreement_id"])


@operation("agreement.sign")
def sign(params: dict, ctx: JobContext) -> dict:
    """The party's PAdES signature (the confirming user is recorded as the actor of the `signed` act)."""
    agreement_id = params["agreement_id"]
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return _still_signing(agreement_id) or agreement_documents.sign(
        agreement_id, params["party"], actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.rescission_consent")
def rescission_consent(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return agreements.rescission_consent(params["agreement_id"], params["decision"], params.get("comment"), actor,
                                         ctx.idempotency_key, remote_addr=addr)


@operation("agreement.rescind")
def rescind(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return agreements.rescind(params["agreement_id"], params["decision"], params.get("comment"), actor,
                              ctx.idempotency_key, remote_addr=addr)


@operation("employer.review")
def employer_review(params: dict, ctx: JobContext) -> dict:
    actor, _addr = task_actor(ctx.instance_id, params.get("task"))
    return employers.review(params["employer_id"], params["decision"], params.get("comment"), actor)


@operation("notify.remind")
def remind(params: dict, ctx: JobContext) -> dict:
    """催签: remind whoever the signing task (`task` = its BPMN id) is waiting for (once per timer firing)."""
    with unit_of_work():
        task = db.session.execute(select(OpenTask).where(OpenTask.instance_id == ctx.instance_id,
                                                         OpenTask.spec_id == params["task"])).scalar_one_or_none()
        if task is None:  # done meanwhile
            return {"sent": 0, "recipients": []}
        sent, recipients = agreement_notices.remind(params["agreement_id"], task, ctx.idempotency_key)
    return {"sent": sent, "recipients": recipients}
