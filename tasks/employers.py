"""Service operations of the employer qualification process (bpmn/employers/employer_qualification.bpmn)."""
from __future__ import annotations

from app.employers import services
from app.engine.registry import JobContext, operation
from app.processes.queries import task_actor


@operation("employer.review")
def employer_review(params: dict, ctx: JobContext) -> dict:
    actor, _addr = task_actor(ctx.instance_id, params.get("task"))
    return services.review(params["employer_id"], params["decision"], params.get("comment"), actor)
