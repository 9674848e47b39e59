"""History events collected during one advance and written with it, in the same transaction."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app

from app.engine.models import HistoryEvent
from app.platform.db_types import utcnow

log = logging.getLogger(__name__)
HistoryListener = Callable[[list[dict]], None]

EVENT_TYPES = frozenset({
    "instance_started", "instance_completed", "instance_terminated", "instance_suspended",
    "instance_resumed", "instance_migrated", "task_ready", "task_claimed", "task_unclaimed",
    "task_reassigned", "task_completed", "task_cancelled", "timer_fired", "message_received",
    "job_queued", "job_failed", "job_retried", "job_succeeded", "incident_opened", "incident_resolved",
})


@dataclass
class HistoryBuffer:
    instance_id: int
    process_key: str
    business_key: str | None
    actor_id: int | None
    reportable: tuple[str, ...] = ()
    remote_addr: str | None = None  # the acting user's client address, kept on that user's events
    rows: list[dict] = field(default_factory=list)

    def add(self, event_type: str, task=None, data: dict | None = None, at: datetime | None = None,
            actor_id: int | None = None, **task_fields) -> None:
        assert event_type in EVENT_TYPES, event_type
        actor = actor_id if actor_id is not None else self.actor_id
        row = {
            "instance_id": self.instance_id,
            "process_key": self.process_key,
            "business_key": self.business_key,
            "event_type": event_type,
            "at": at or utcnow(),
            "actor_id": actor,
            "lane": None, "task_spec_id": None, "task_name": None, "task_guid": None,
            "data": data,
            "remote_addr": self.remote_addr if actor is not None and actor == self.actor_id else None,
        }
        if task is not None:
            spec = task.task_spec
            row.update(lane=getattr(spec, "lane", None), task_spec_id=spec.bpmn_id,
                       task_name=spec.bpmn_name or spec.bpmn_id, task_guid=str(task.id))
        row.update(task_fields)
        self.rows.append(row)

    def reportable_data(self, data: dict) -> dict | None:
        picked = {k: data[k] for k in self.reportable if k in data}
        return picked or None

    def has(self, event_type: str, task_guid: str) -> bool:
        return any(r["event_type"] == event_type and r["task_guid"] == task_guid for r in self.rows)


def history_table():
    return HistoryEvent.__table__


def add_history_listener(app: Flask, listener: HistoryListener) -> None:
    """Have `listener(events)` called, in the process that made them, with the history events of every step
    once it has committed (dicts with the columns of history_event). For what other parts of the platform
    do about steps (notifications, live pages); the engine neither knows nor waits for them."""
    app.extensions.setdefault("engine_history_listeners", []).append(listener)


def tell_listeners(rows: list[dict]) -> None:
    """Hand committed history events to the app's listeners (call only after the commit)."""
    listeners = current_app.extensions.get("engine_history_listeners")
    if not listeners or not rows:
        return
    events = [dict(row) for row in rows]
    for listener in listeners:
        try:
            listener(events)
        except Exception:  # noqa: BLE001 - the step is committed; a listener cannot undo or fail it
            log.exception("history listener %r failed", listener)
