"""Service operations of the recruiting processes (bpmn/interviews/: interview_invitation, position_review,
booth_application) and the queue's periodic job.

Thin: each finds who completed the user task the step is about (`task` names its BPMN id), calls the area's
service and returns a JSON result for the process data. Every one is safe to run twice: the services look at
the record's status first.
"""
from __future__ import annotations

from app.engine.registry import JobContext, operation
from app.interviews import fairs, invitations, positions, queue_services
from app.processes.queries import task_actor
from tasks.engine_jobs import _app_context


def _actor(ctx: JobContext, params: dict) -> tuple[int | None, str | None]:
    return task_actor(ctx.instance_id, params.get("task"))


@operation("interview.record_answer")
def record_answer(params: dict, ctx: JobContext) -> dict:
    actor, _addr = _actor(ctx, params)
    return invitations.record_answer(params["invitation_id"], params["answer"], params.get("note") or "",
                                     params.get("proposed_start"), params.get("proposed_end"), actor)


@operation("interview.record_counter")
def record_counter(params: dict, ctx: JobContext) -> dict:
    actor, _addr = _actor(ctx, params)
    return invitations.record_counter(params["invitation_id"], params["decision"], params.get("new_start"),
                                      params.get("new_end"), params.get("new_expires"), params.get("note") or "",
                                      actor)


@operation("interview.expire")
def expire(params: dict, ctx: JobContext) -> dict:
    return invitations.expire(params["invitation_id"])


@operation("interview.remind")
def remind(params: dict, ctx: JobContext) -> dict:
    return {"notified": invitations.remind(params["invitation_id"], ctx.idempotency_key)}


@operation("interview.record_outcome")
def record_outcome(params: dict, ctx: JobContext) -> dict:
    actor, _addr = _actor(ctx, params)
    return invitations.record_outcome(params["invitation_id"], params["outcome"], params.get("note") or "",
                                      params.get("offer_position_id") or None, params.get("offer_pay") or None, actor)


@operation("interview.make_offer")
def make_offer(params: dict, ctx: JobContext) -> dict:
    actor, addr = _actor(ctx, params)
    return invitations.make_offer(params["invitation_id"], actor, params.get("offer_position_id") or None,
                                  params.get("offer_pay") or None, remote_addr=addr)


@operation("interview.next_round")
def next_round(params: dict, ctx: JobContext) -> dict:
    actor, _addr = _actor(ctx, params)
    return invitations.schedule_next_round(
        params["invitation_id"], params.get("slot_start"), params.get("slot_end"), params.get("expires_at"),
        params.get("place_kind") or "room", params.get("room") or "", params.get("online_url") or "",
        params.get("message") or "", actor)


@operation("position.record_review")
def position_review(params: dict, ctx: JobContext) -> dict:
    actor, _addr = _actor(ctx, params)
    return positions.record_review(params["position_id"], params["decision"], params.get("comment"), actor)


@operation("booth.record_review")
def booth_review(params: dict, ctx: JobContext) -> dict:
    actor, _addr = _actor(ctx, params)
    return fairs.record_booth_review(params["application_id"], params["decision"], params.get("hall_code") or None,
                                     params.get("reason"), actor)


def expire_calls() -> int:
    """Periodic job (the scheduler's leader, every 30 s): called students who did not come are no-shows."""
    with _app_context():
        return queue_services.expire_calls()
