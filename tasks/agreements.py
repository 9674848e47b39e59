"""Service operations of the agreement processes (the `spiffworkflow:serviceTaskOperator id`s in
bpmn/agreements/tripartite_agreement.bpmn and agreement_rescission.bpmn), and the certificate job.

Thin: each finds who completed the user task the step is about (the `task` parameter names its BPMN id;
the actor comes from that task's `task_completed` history event), calls the area's service, and returns a
JSON result that the engine puts into task data. The parameters are loaded through their schemas
(app/agreements/schemas.py) first. Every one is safe to run twice: the services check the agreement's state
and write each evidence entry once per job (`ctx.idempotency_key`).
"""
from __future__ import annotations

from app.agreements import schemas, services
from app.engine.registry import JobContext, operation
from app.processes.queries import task_actor
from tasks.engine_jobs import _app_context


@operation("agreement.respond")
def respond(params: dict, ctx: JobContext) -> dict:
    p = schemas.RESPOND.load(params)
    actor, addr = task_actor(ctx.instance_id, p["task"])
    return services.respond(p["agreement_id"], p["decision"], p["reason"] or "", p["contact"] or {}, actor,
                            ctx.idempotency_key, remote_addr=addr)


@operation("agreement.review")
def review(params: dict, ctx: JobContext) -> dict:
    p = schemas.REVIEW.load(params)
    actor, addr = task_actor(ctx.instance_id, p["task"])
    return services.review(p["agreement_id"], p["stage"], p["decision"], p["comment"], p["return_to"] or None,
                           actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.update_terms")
def update_terms(params: dict, ctx: JobContext) -> dict:
    p = schemas.UPDATE_TERMS.load(params)
    actor, addr = task_actor(ctx.instance_id, p["task"])
    return services.update_terms(p["agreement_id"], p["part"], p["values"] or {}, actor, ctx.idempotency_key,
                                 remote_addr=addr)


@operation("agreement.set_status")
def set_status(params: dict, ctx: JobContext) -> dict:
    p = schemas.SET_STATUS.load(params)
    actor, addr = task_actor(ctx.instance_id, p["task"])
    return services.set_status(p["agreement_id"], p["status"], p["act"] or None, p["reason"] or None, actor,
                               ctx.idempotency_key, remote_addr=addr)


@operation("agreement.assign_number")
def assign_number(params: dict, ctx: JobContext) -> str:
    return services.assign_number(schemas.STEP.load(params)["agreement_id"], ctx.idempotency_key)


@operation("agreement.render")
def render(params: dict, ctx: JobContext) -> dict:
    """Version 1 of the PDF (LibreOffice): only here, in a worker, never in a web request."""
    return services.render_document(schemas.STEP.load(params)["agreement_id"])


@operation("agreement.sign")
def sign(params: dict, ctx: JobContext) -> dict:
    p = schemas.SIGN.load(params)
    actor, addr = task_actor(ctx.instance_id, p["task"])
    return services.sign_document(p["agreement_id"], p["party"], actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.rescission_consent")
def rescission_consent(params: dict, ctx: JobContext) -> dict:
    p = schemas.DECIDE.load(params)
    actor, addr = task_actor(ctx.instance_id, p["task"])
    return services.rescission_consent(p["agreement_id"], p["decision"], p["comment"], actor, ctx.idempotency_key,
                                       remote_addr=addr)


@operation("agreement.rescind")
def rescind(params: dict, ctx: JobContext) -> dict:
    p = schemas.DECIDE.load(params)
    actor, addr = task_actor(ctx.instance_id, p["task"])
    return services.rescind(p["agreement_id"], p["decision"], p["comment"], actor, ctx.idempotency_key,
                            remote_addr=addr)


@operation("notify.remind")
def remind(params: dict, ctx: JobContext) -> dict:
    """催签: remind whoever the signing task (`task` = its BPMN id) is waiting for (once per timer firing)."""
    p = schemas.REMIND.load(params)
    sent, recipients = services.remind(p["agreement_id"], ctx.instance_id, p["task"], ctx.idempotency_key)
    return {"sent": sent, "recipients": recipients}


def anchor_evidence(agreement_id: int) -> str:
    """RQ entry point: seal the head of the agreement's evidence chain (signature and RFC 3161 timestamp),
    enqueued after every change; safe to run twice (each head is sealed once)."""
    with _app_context():
        return services.anchor_evidence(agreement_id)


def make_certificate(agreement_id: int, verify_url: str) -> str:
    """RQ entry point: render and certify the certificate of the agreement's current evidence; safe to run
    twice (made once per state of the chain)."""
    with _app_context():
        return services.build_certificate(agreement_id, verify_url)
