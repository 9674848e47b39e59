"""The workflow engine: the only package that imports SpiffWorkflow.

Public surface (everything else in this package is internal). The application wires it once, at start-up:
`configure(app, enqueue_job=...)` says how a job id reaches a worker (see app/engine/outbox.py).
"""
from app.engine.assignment import claim_task, reassign_task, unclaim_task
from app.engine.batch import NewInstance, start_instances
from app.engine.definitions import (
    Source, check, definition_file, definition_files, deploy, deploy_directory, latest_definition,
    latest_definitions, library_form,
)
from app.engine.errors import (
    Conflict, CorrelationError, DeployError, EngineError, InvalidState, MigrationError, NotFound, PermanentFailure,
    ProcessError,
)
from app.engine.history import add_history_listener
from app.engine.jobs import complete_test_job, resolve_incident, retry_incident
from app.engine.lifecycle import resume, suspend, terminate
from app.engine.messages import deliver_message
from app.engine.migration import migrate_all, migrate_instance, migration_problems
from app.engine.outbox import configure
from app.engine.registry import JobContext, operation
from app.engine.runtime import complete_task, get_state, start_instance, task_data
from app.engine.scope import instances_in_scope, scope_of, scope_text

__all__ = [
    "Conflict", "CorrelationError", "DeployError", "EngineError", "InvalidState", "JobContext", "MigrationError",
    "NewInstance", "NotFound", "PermanentFailure", "ProcessError", "Source", "add_history_listener", "check", "claim_task", "complete_task",
    "complete_test_job", "configure", "definition_file", "definition_files", "deliver_message", "deploy",
    "deploy_directory", "get_state", "instances_in_scope", "latest_definition", "latest_definitions", "library_form",
    "migrate_all", "migrate_instance", "migration_problems",
    "operation", "reassign_task", "resolve_incident", "resume", "retry_incident", "scope_of", "scope_text",
    "start_instance", "start_instances", "suspend",
    "task_data", "terminate", "unclaim_task",
]
