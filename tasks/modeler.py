"""RQ entry points of the modeler: bulk migration of instances to another version."""
from __future__ import annotations

from tasks.engine_jobs import _app_context


def run_migration(run_id: int) -> None:
    """Move the run's instances one by one, recording progress; safe to run twice."""
    from app.modeler import services

    with _app_context():
        services.run_migration(run_id)
