"""Reporting's verbs: what admins do from the operations pages (retry, resolve and comment incidents; save
filters) and what process owners set (SLA targets). Suspending, resuming and terminating an instance belong to
the instance page (app/processes: one service, one form, one route); the operations pages link there.
Each is one unit of work (the engine's own for engine actions); refusals come out as ReportingError with a
message per field."""
from __future__ import annotations

from sqlalchemy import delete, select

from app import engine
from app.engine.models import Incident
from app.platform.db_types import utcnow
from app.platform.uow import unit_of_work
from app.reporting.models import IncidentComment, SavedFilter, SlaTarget

MAX_COMMENT = 2000
MAX_FILTERS = 50
MAX_SLA_HOURS = 24 * 365


class ReportingError(Exception):
    """A refused action; `errors` maps a field (or "") to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _text(value: str | None, field: str, limit: int, required_message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ReportingError({field: required_message})
    if len(text) > limit:
        raise ReportingError({field: f"最多 {limit} 个字符"})
    return text


def retry_incidents(incident_ids: list[int], actor_id: int) -> tuple[list[int], dict[int, str]]:
    """Retry each incident (its job runs again, or its failed step); returns the retried ones and why the
    others were refused. Each retry is its own transaction: one that fails leaves the others done."""
    if not incident_ids:
        raise ReportingError({"incident": "请选择事件"})
    done, refused = [], {}
    for incident_id in dict.fromkeys(incident_ids):
        try:
            engine.retry_incident(incident_id, actor_id)
            done.append(incident_id)
        except engine.EngineError as err:
            refused[incident_id] = str(err)
    return done, refused


def resolve_incident(incident_id: int, actor_id: int, note: str | None) -> None:
    """Mark an incident handled without running anything again; the note says what was done."""
    text = _text(note, "note", MAX_COMMENT, "请说明处理情况")
    try:
        with unit_of_work() as uow:
            engine.resolve_incident(incident_id, actor_id, note=text)
            uow.add(IncidentComment(incident_id=incident_id, author_id=actor_id, body=text, created_at=utcnow()))
            uow.commit()
    except engine.EngineError as err:
        raise ReportingError({"": str(err)}) from None


def comment_incident(incident_id: int, actor_id: int, body: str | None) -> None:
    text = _text(body, "body", MAX_COMMENT, "请填写备注")
    with unit_of_work() as uow:
        if uow.get(Incident, incident_id) is None:
            raise ReportingError({"": "事件不存在"})
        uow.add(IncidentComment(incident_id=incident_id, author_id=actor_id, body=text, created_at=utcnow()))
        uow.commit()


def save_filter(user_id: int, name: str | None, params: dict[str, str]) -> int:
    label = _text(name, "name", 80, "请填写名称")
    with unit_of_work() as uow:
        count = len(uow.execute(select(SavedFilter.id).where(SavedFilter.user_id == user_id)).all())
        if count >= MAX_FILTERS:
            raise ReportingError({"name": f"最多保存 {MAX_FILTERS} 个筛选"})
        saved = SavedFilter(user_id=user_id, name=label, params=params, created_at=utcnow())
        uow.add(saved)
        uow.flush()
        saved_id = saved.id
        uow.commit()
    return saved_id


def delete_filter(user_id: int, filter_id: int) -> None:
    with unit_of_work() as uow:
        gone = uow.execute(delete(SavedFilter).where(SavedFilter.id == filter_id,
                                                     SavedFilter.user_id == user_id)).rowcount
        if not gone:
            raise ReportingError({"": "筛选不存在"})
        uow.commit()


def set_sla(process_key: str, task_spec_id: str, hours: str | int | None, actor_id: int) -> None:
    """Set (or with an empty value, remove) the target of one task, in hours."""
    with unit_of_work() as uow:
        current = uow.get(SlaTarget, (process_key, task_spec_id))
        if hours in (None, ""):
            if current is not None:
                uow.delete(current)
            uow.commit()
            return
        try:
            value = int(hours)
        except (TypeError, ValueError):
            raise ReportingError({"hours": "请填写整数小时"}) from None
        if not 1 <= value <= MAX_SLA_HOURS:
            raise ReportingError({"hours": f"应在 1 到 {MAX_SLA_HOURS} 小时之间"})
        if current is None:
            uow.add(SlaTarget(process_key=process_key, task_spec_id=task_spec_id, target_hours=value,
                              set_by=actor_id, updated_at=utcnow()))
        else:
            current.target_hours, current.set_by, current.updated_at = value, actor_id, utcnow()
        uow.commit()
