"""Errors the engine raises; the web layer maps each to a 4xx, jobs to a retry or an incident."""
from __future__ import annotations


class EngineError(Exception):
    """Base class. `str(err)` is a message fit to show to the user who caused it."""


class DeployError(EngineError):
    def __init__(self, problems: list[tuple[str, str | None, str]]):
        self.problems = problems  # (file name, element id or None, problem)
        text = "; ".join(f"{f}{'#' + e if e else ''}: {p}" for f, e, p in problems)
        super().__init__(text)


class NotFound(EngineError):
    pass


class Conflict(EngineError):
    """Someone else moved the instance or the task first; the caller's view is stale."""


class InvalidState(EngineError):
    """The action does not fit the instance's or task's state (completed, suspended, not ready...)."""


class CorrelationError(EngineError):
    """A message matched no waiting instance, or more than one."""


class ProcessError(EngineError):
    """A script, expression or gateway in the process itself failed."""

    def __init__(self, message: str, spec_id: str | None = None, details: str | None = None):
        super().__init__(message)
        self.spec_id = spec_id
        self.details = details


class MigrationError(EngineError):
    def __init__(self, message: str, unmatched: list[str]):
        super().__init__(message + ": " + ", ".join(unmatched))
        self.unmatched = unmatched


class PermanentFailure(Exception):
    """A service operation's failure that another attempt cannot fix (the data contradicts itself): the job
    becomes an incident at once instead of being retried."""
