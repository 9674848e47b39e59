"""The toy area's RQ entry points and service operations: thin, they call its services."""
from __future__ import annotations

from app.engine.registry import JobContext, operation
from tasks.engine_jobs import _app_context
from tests.toy_area import services


@operation("toy.stamp")
def stamp(params: dict, ctx: JobContext) -> str:
    return services.stamp(params["wish"])


def sweep() -> None:
    """The periodic job (Area.periodic_jobs)."""
    with _app_context():
        services.sweep()
