"""Service operations of the employer qualification process (bpmn/employers/employer_qualification.bpmn)."""
from __future__ import annotations

from app.employers import services
from app.employers.schemas import REVIEW
from app.engine.registry import JobContext, operation
from app.processes.queries import task_actor


@operation("employer.review")
def employer_review(params: dict, ctx: JobContext) -> dict:
    p = REVIEW.load(params)
    actor, _addr = task_actor(ctx.instance_id, p["task"])
    return services.review(p["employer_id"], p["decision"], p["comment"], actor)
