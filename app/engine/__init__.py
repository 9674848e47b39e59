"""The workflow engine: the only package that imports SpiffWorkflow.

Public surface (everything else in this package is internal):
"""
from app.engine.definitions import deploy, deploy_directory, deploy_upload, latest_definition, Source
from app.engine.errors import (
    Conflict, CorrelationError, DeployError, EngineError, InvalidState, MigrationError, NotFound, ProcessError,
)
from app.engine.jobs import retry_incident
from app.engine.messages import deliver_message
from app.engine.migration import migrate_all, migrate_instance
from app.engine.registry import JobContext, operation
from app.engine.runtime import (
    claim_task, complete_task, get_state, reassign_task, resume, start_instance, suspend, task_data, terminate,
    unclaim_task,
)

__all__ = [
    "Conflict", "CorrelationError", "DeployError", "EngineError", "InvalidState", "JobContext", "MigrationError",
    "NotFound", "ProcessError", "Source", "claim_task", "complete_task", "deliver_message", "deploy",
    "deploy_directory", "deploy_upload", "get_state", "latest_definition", "migrate_all", "migrate_instance",
    "operation", "reassign_task", "resume", "retry_incident", "start_instance", "suspend", "task_data",
    "terminate", "unclaim_task",
]
