"""Service operations: the names BPMN service tasks may call (spiffworkflow:serviceTaskOperator id).

Modules in tasks/ register functions with `@operation("name")`. A function receives the evaluated
parameters and a JobContext, and returns a JSON-serialisable result that is merged into task data.
It must be safe to run twice: use `ctx.idempotency_key` for side effects.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

OPERATIONS: dict[str, Callable] = {}


@dataclass(frozen=True)
class JobContext:
    job_id: int
    instance_id: int
    business_key: str | None
    idempotency_key: str
    attempt: int


def operation(name: str) -> Callable[[Callable], Callable]:
    def register(fn: Callable) -> Callable:
        OPERATIONS[name] = fn
        return fn

    return register


def load_operations() -> dict[str, Callable]:
    """Import the modules named in the OPERATION_MODULES setting; each registers its operations."""
    for module in current_app.config["OPERATION_MODULES"]:
        importlib.import_module(module)
    return OPERATIONS
