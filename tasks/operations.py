"""Operations that BPMN service tasks can name. Business areas add theirs in their own modules."""
from __future__ import annotations

from app.engine.registry import JobContext, operation


@operation("echo")
def echo(params: dict, ctx: JobContext) -> dict:
    """Returns its parameters: a harmless operation for trying a diagram out."""
    return dict(params)
