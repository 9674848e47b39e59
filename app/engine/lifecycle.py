"""Suspending, resuming and terminating instances (an administrator's actions)."""
from __future__ import annotations

from app.engine.history import HistoryBuffer
from app.engine.jobs import apply_deferred_results
from app.engine.runtime import Loaded, advance


def suspend(instance_id: int, actor_id: int | None = None, remote_addr: str | None = None,
            reason: str | None = None) -> None:
    def action(inst: Loaded, events: HistoryBuffer) -> None:
        inst.new_status = "suspended"
        events.add("instance_suspended", data={"reason": reason} if reason else None)

    advance(instance_id, action, actor_id, statuses=("running",), remote_addr=remote_addr)


def resume(instance_id: int, actor_id: int | None = None, remote_addr: str | None = None,
           reason: str | None = None) -> None:
    """Back to running; results of jobs that finished meanwhile are applied now."""
    def action(inst: Loaded, events: HistoryBuffer) -> None:
        inst.new_status = "running"
        events.add("instance_resumed", data={"reason": reason} if reason else None)
        apply_deferred_results(inst, events)

    advance(instance_id, action, actor_id, statuses=("suspended",), remote_addr=remote_addr)


def terminate(instance_id: int, actor_id: int | None = None, reason: str | None = None,
              remote_addr: str | None = None) -> None:
    def action(inst: Loaded, events: HistoryBuffer) -> None:
        inst.workflow.cancel()
        inst.new_status = "terminated"
        events.add("instance_terminated", data={"reason": reason} if reason else None)

    advance(instance_id, action, actor_id, statuses=("running", "suspended"), remote_addr=remote_addr)
