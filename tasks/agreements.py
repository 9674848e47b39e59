"""Service operations of the agreement processes (the `spiffworkflow:serviceTaskOperator id`s in
bpmn/agreements/tripartite_agreement.bpmn and agreement_rescission.bpmn), and the certificate job.

Thin: each finds who completed the user task the step is about (the `task` parameter names its BPMN id;
the actor comes from that task's `task_completed` history event), calls the area's service, and returns a
JSON result that the engine puts into task data. Every one is safe to run twice: the services check the
agreement's state and write each evidence entry once per job (`ctx.idempotency_key`).
"""
from __future__ import annotations

from app.agreements import services
from app.engine.registry import JobContext, operation
from app.processes.queries import task_actor
from tasks.engine_jobs import _app_context


@operation("agreement.respond")
def respond(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return services.respond(params["agreement_id"], params["decision"], params.get("reason") or "",
                            params.get("contact") or {}, actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.review")
def review(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return services.review(params["agreement_id"], params["stage"], params["decision"], params.get("comment"),
                           params.get("return_to") or None, actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.update_terms")
def update_terms(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return services.update_terms(params["agreement_id"], params["part"], params.get("values") or {}, actor,
                                 ctx.idempotency_key, remote_addr=addr)


@operation("agreement.set_status")
def set_status(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return services.set_status(params["agreement_id"], params["status"], params.get("act") or None,
                               params.get("reason") or None, actor, ctx.idempotency_key, remote_addr=addr)


@operation("agreement.assign_number")
def assign_number(params: dict, ctx: JobContext) -> str:
    return services.assign_number(params["agreement_id"], ctx.idempotency_key)


@operation("agreement.render")
def render(params: dict, ctx: JobContext) -> dict:
    """Version 1 of the PDF (LibreOffice): only here, in a worker, never in a web request."""
    return services.render_document(params["agreement_id"])


@operation("agreement.sign")
def sign(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return services.sign_document(params["agreement_id"], params["party"], actor, ctx.idempotency_key,
                                  remote_addr=addr)


@operation("agreement.rescission_consent")
def rescission_consent(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return services.rescission_consent(params["agreement_id"], params["decision"], params.get("comment"), actor,
                                       ctx.idempotency_key, remote_addr=addr)


@operation("agreement.rescind")
def rescind(params: dict, ctx: JobContext) -> dict:
    actor, addr = task_actor(ctx.instance_id, params.get("task"))
    return services.rescind(params["agreement_id"], params["decision"], params.get("comment"), actor,
                            ctx.idempotency_key, remote_addr=addr)


@operation("notify.remind")
def remind(params: dict, ctx: JobContext) -> dict:
    """催签: remind whoever the signing task (`task` = its BPMN id) is waiting for (once per timer firing)."""
    sent, recipients = services.remind(params["agreement_id"], ctx.instance_id, params["task"], ctx.idempotency_key)
    return {"sent": sent, "recipients": recipients}


def make_certificate(agreement_id: int, verify_url: str) -> str:
    """RQ entry point: render and certify the certificate of the agreement's current evidence; safe to run
    twice (made once per state of the chain)."""
    with _app_context():
        return services.build_certificate(agreement_id, verify_url)
