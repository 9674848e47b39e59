"""The operations read side (like Camunda Operate): instances per process and version by state, open tasks
by lane and age, overdue tasks, incidents, stuck instances, the filtered instance list, and the health of
workers, queues and the scheduler. Test runs (ProcessInstance.is_test) are left out everywhere."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from app import engine
from app.engine.models import HistoryEvent, Incident, Job, OpenTask, ProcessDefinition, ProcessInstance, Timer
from app.identity.models import User
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.reporting.models import IncidentComment, InstanceEndRollup, SavedFilter

STATES = ("running", "suspended", "error", "completed", "terminated")
LIVE_STATES = ("running", "suspended", "error")
# Open tasks by how long they have waited: (label key, upper bound in days); the last bucket is open-ended.
AGE_BUCKETS = (("lt1d", 1), ("d1_3", 3), ("d3_7", 7), ("gt7d", None))
STUCK_AFTER_DAYS = 7
PAGE_SIZE = 50
REAL = ProcessInstance.is_test.is_(False)


@dataclass
class ProcessStates:
    process_key: str
    name: str
    version: int
    definition_id: int
    counts: dict[str, int] = field(default_factory=dict)
    open_incidents: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class LaneAges:
    lane: str
    buckets: dict[str, int]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


@dataclass
class Overview:
    processes: list[ProcessStates]
    lanes: list[LaneAges]
    totals: dict[str, int]
    open_incidents: int
    overdue_tasks: int
    stuck_instances: int


def overview(now: datetime | None = None) -> Overview:
    """The figures of the operations dashboard, in a handful of grouped queries. Instances still live
    (running, suspended, error) are counted through the status index; the ended ones, which only grow, come
    from the summary of ended instances (rollups.py, as far as the projection has read the history: the page
    catches it up first)."""
    now = now or utcnow()
    per_definition: dict[int, ProcessStates] = {}
    live = (select(ProcessInstance.definition_id, ProcessInstance.status, func.count())
            .where(ProcessInstance.status.in_(LIVE_STATES), REAL)
            .group_by(ProcessInstance.definition_id, ProcessInstance.status))
    ended = (select(InstanceEndRollup.definition_id, InstanceEndRollup.end_state, func.sum(InstanceEndRollup.n))
             .group_by(InstanceEndRollup.definition_id, InstanceEndRollup.end_state))
    rows = db.session.execute(live.union_all(ended)).all()
    definitions = {d.id: d for d in db.session.execute(
        select(ProcessDefinition.id, ProcessDefinition.process_key, ProcessDefinition.name, ProcessDefinition.version)
        .where(ProcessDefinition.is_test.is_(False))).all()}
    totals: dict[str, int] = defaultdict(int)
    for definition_id, status, count in rows:
        d = definitions.get(definition_id)
        if d is None:
            continue
        entry = per_definition.setdefault(definition_id, ProcessStates(d.process_key, d.name, d.version, d.id))
        entry.counts[status] = entry.counts.get(status, 0) + int(count)
        totals[status] += int(count)
    for definition_id, count in db.session.execute(
            select(ProcessInstance.definition_id, func.count())
            .join(Incident, Incident.instance_id == ProcessInstance.id)
            .where(Incident.resolved_at.is_(None), REAL).group_by(ProcessInstance.definition_id)).all():
        if definition_id in per_definition:
            per_definition[definition_id].open_incidents = count
    lanes = lane_ages(now)
    return Overview(
        processes=sorted(per_definition.values(), key=lambda p: (p.process_key, -p.version)),
        lanes=lanes, totals=dict(totals),
        open_incidents=sum(p.open_incidents for p in per_definition.values()),
        overdue_tasks=sum(lane.overdue for lane in lanes),
        stuck_instances=db.session.execute(select(func.count()).select_from(ProcessInstance)
                                           .where(*_stuck_where(now, STUCK_AFTER_DAYS))).scalar_one(),
    )


def lane_ages(now: datetime) -> list[LaneAges]:
    """Open tasks per lane by how long they have been open, and how many are past their due date."""
    columns = []
    lower = None
    for key, upper_days in AGE_BUCKETS:
        cond = []
        if lower is not None:
            cond.append(OpenTask.created_at <= now - timedelta(days=lower))
        if upper_days is not None:
            cond.append(OpenTask.created_at > now - timedelta(days=upper_days))
        columns.append(func.sum(case((and_(*cond), 1), else_=0)).label(key))
        lower = upper_days
    overdue = func.sum(case((OpenTask.due_at < now, 1), else_=0)).label("overdue")
    # test runs are few (and indexed): leaving their tasks out costs no pass over every instance
    tests = select(ProcessInstance.id).where(ProcessInstance.is_test.is_(True))
    rows = db.session.execute(
        select(OpenTask.lane, *columns, overdue).where(OpenTask.instance_id.not_in(tests))
        .group_by(OpenTask.lane)).all()
    return sorted((LaneAges(r.lane or "", {k: int(getattr(r, k) or 0) for k, _ in AGE_BUCKETS}, int(r.overdue or 0))
                   for r in rows), key=lambda lane: lane.lane)


def overdue_tasks(now: datetime | None = None, limit: int = 100) -> list:
    now = now or utcnow()
    return db.session.execute(
        select(OpenTask.id, OpenTask.instance_id, OpenTask.name, OpenTask.lane, OpenTask.process_name,
               OpenTask.business_key, OpenTask.due_at, OpenTask.created_at, User.display_name.label("assignee"))
        .join(ProcessInstance, ProcessInstance.id == OpenTask.instance_id)
        .outerjoin(User, User.id == OpenTask.assignee_id)
        .where(OpenTask.due_at < now, REAL).order_by(OpenTask.due_at).limit(limit)).all()


def _stuck_where(now: datetime, days: int) -> list:
    return [ProcessInstance.status == "running", ProcessInstance.updated_at < now - timedelta(days=days), REAL]


def stuck_instances(days: int = STUCK_AFTER_DAYS, now: datetime | None = None, limit: int = 200) -> list:
    """Running instances that have not moved for `days` days (no step, no task done), oldest first."""
    now = now or utcnow()
    return db.session.execute(
        select(ProcessInstance.id, ProcessInstance.process_key, ProcessInstance.business_key,
               ProcessInstance.created_at, ProcessInstance.updated_at, ProcessDefinition.name,
               ProcessDefinition.version)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(*_stuck_where(now, days)).order_by(ProcessInstance.updated_at).limit(limit)).all()


# -- incidents ------------------------------------------------------------------------------------------------

def incidents(process_key: str | None = None, include_resolved: bool = False, limit: int = 200) -> list:
    where = [REAL]
    if not include_resolved:
        where.append(Incident.resolved_at.is_(None))
    if process_key:
        where.append(ProcessInstance.process_key == process_key)
    return db.session.execute(
        select(Incident, ProcessInstance.process_key, ProcessInstance.business_key, ProcessInstance.status)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(*where).order_by(Incident.id.desc()).limit(limit)).all()


@dataclass
class IncidentDetail:
    incident: Incident
    process_key: str
    business_key: str | None
    instance_status: str
    variables: dict
    stack_summary: list[str]
    comments: list


def stack_summary(details: str | None, lines: int = 6) -> list[str]:
    """The traceback's last frames and the error line: what an admin reads first."""
    if not details:
        return []
    kept = [line.rstrip() for line in details.splitlines() if line.strip()]
    return kept[-lines:]


def incident_detail(incident_id: int) -> IncidentDetail | None:
    row = db.session.execute(
        select(Incident, ProcessInstance.process_key, ProcessInstance.business_key, ProcessInstance.status)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(Incident.id == incident_id, REAL)).one_or_none()
    if row is None:
        return None
    incident = row[0]
    try:
        variables = engine.get_state(incident.instance_id).data
    except engine.EngineError:
        variables = {}
    comments = db.session.execute(
        select(IncidentComment.body, IncidentComment.created_at, User.display_name)
        .outerjoin(User, User.id == IncidentComment.author_id)
        .where(IncidentComment.incident_id == incident_id).order_by(IncidentComment.id)).all()
    return IncidentDetail(incident, row.process_key, row.business_key, row.status, variables,
                          stack_summary(incident.details), comments)


def element_badges(definition_id: int) -> dict[str, dict[str, int]]:
    """Per BPMN element of one version: open tasks and open incidents (the diagram's badges)."""
    badges: dict[str, dict[str, int]] = defaultdict(lambda: {"tasks": 0, "incidents": 0})
    for spec_id, count in db.session.execute(
            select(OpenTask.spec_id, func.count()).join(ProcessInstance, ProcessInstance.id == OpenTask.instance_id)
            .where(ProcessInstance.definition_id == definition_id, REAL).group_by(OpenTask.spec_id)).all():
        badges[spec_id]["tasks"] = count
    for spec_id, count in db.session.execute(
            select(Incident.spec_id, func.count()).join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
            .where(ProcessInstance.definition_id == definition_id, Incident.resolved_at.is_(None),
                   Incident.spec_id.is_not(None), REAL).group_by(Incident.spec_id)).all():
        badges[spec_id]["incidents"] = count
    return dict(badges)


def definition(definition_id: int) -> ProcessDefinition | None:
    found = db.session.get(ProcessDefinition, definition_id)
    return found if found is not None and not found.is_test else None


# -- the instance list -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InstanceFilter:
    process_key: str | None = None
    version: int | None = None
    state: str | None = None
    business_key: str | None = None
    started_from: date | None = None
    started_to: date | None = None
    variable: str | None = None      # a reportable field's name ...
    value: str | None = None         # ... and the value it had in the instance's history

    def params(self) -> dict[str, str]:
        """As query parameters (for links and saved filters)."""
        return {k: str(v) for k, v in self.__dict__.items() if v not in (None, "")}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def instances(f: InstanceFilter, page: int = 1, page_size: int = PAGE_SIZE) -> list:
    where = [REAL]
    if f.process_key:
        where.append(ProcessInstance.process_key == f.process_key)
    if f.version is not None:
        where.append(ProcessDefinition.version == f.version)
    if f.state:
        where.append(ProcessInstance.status == f.state)
    if f.business_key:
        where.append(ProcessInstance.business_key.like(f"%{_escape_like(f.business_key)}%", escape="\\"))
    if f.started_from:
        where.append(ProcessInstance.created_at >= _day_start(f.started_from))
    if f.started_to:
        where.append(ProcessInstance.created_at < _day_start(f.started_to + timedelta(days=1)))
    if f.variable and f.value is not None:
        where.append(_had_value(f.variable, f.value))
    return db.session.execute(
        select(ProcessInstance.id, ProcessInstance.process_key, ProcessInstance.business_key, ProcessInstance.status,
               ProcessInstance.created_at, ProcessInstance.updated_at, ProcessDefinition.name,
               ProcessDefinition.version, User.display_name.label("starter"))
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(User, User.id == ProcessInstance.started_by)
        .where(*where).order_by(ProcessInstance.id.desc()).limit(page_size).offset((page - 1) * page_size)).all()


VALUE_EVENTS = ("instance_started", "task_completed", "instance_completed")


def _had_value(variable: str, value: str) -> ColumnElement:
    """The instances whose history shows `variable` with `value` (typed as text: it matches the string, and
    the number or true/false it reads as). On PostgreSQL by JSON containment through the GIN index on the
    events' data (ix_history_data); elsewhere each instance's events are read."""
    if db.session.get_bind().dialect.name == "postgresql":
        data = type_coerce(HistoryEvent.data, JSONB)
        return ProcessInstance.id.in_(select(HistoryEvent.instance_id).where(
            or_(*(data.contains({variable: v}) for v in _json_forms(value))),
            HistoryEvent.event_type.in_(VALUE_EVENTS)))
    return exists(select(HistoryEvent.id).where(
        HistoryEvent.instance_id == ProcessInstance.id, HistoryEvent.event_type.in_(VALUE_EVENTS),
        HistoryEvent.data[variable].as_string().in_(_textual_forms(value))))


def _json_forms(value: str) -> list:
    """The JSON values a typed-in text stands for: itself, and the boolean or number it reads as (JSON numbers
    compare by value: 5 finds 5.0)."""
    forms: list = [value]
    if value.lower() in ("true", "false"):
        return forms + [value.lower() == "true"]
    for parse in (int, float):
        try:
            number = parse(value)
        except ValueError:
            continue
        return forms + [number] if math.isfinite(number) else forms
    return forms


def _textual_forms(value: str) -> list[str]:
    """The same values as `_json_forms`, as SQLite's JSON reads them as text (true/false as 1/0)."""
    forms = [value]
    for form in _json_forms(value)[1:]:
        if isinstance(form, bool):
            forms += ["1" if form else "0", "true" if form else "false"]
        elif float(form).is_integer():
            forms += [str(int(form)), str(float(form))]
        else:
            forms.append(repr(float(form)))
    return forms


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def process_keys() -> list:
    """(process key, name, [versions]) of the deployed processes, for the filter's choices."""
    found: dict[str, tuple[str, list[int]]] = {}
    for key, name, version in db.session.execute(
            select(ProcessDefinition.process_key, ProcessDefinition.name, ProcessDefinition.version)
            .where(ProcessDefinition.is_test.is_(False))
            .order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())).all():
        found.setdefault(key, (name, []))[1].append(version)
    return [(key, name, versions) for key, (name, versions) in found.items()]


def saved_filters(user_id: int) -> list[SavedFilter]:
    return list(db.session.execute(select(SavedFilter).where(SavedFilter.user_id == user_id)
                                   .order_by(SavedFilter.name)).scalars())


# -- health of the running pieces ----------------------------------------------------------------------------

@dataclass
class Health:
    queue: str
    queued: int
    started: int
    failed: int
    scheduled: int
    failed_jobs: list[dict]
    workers: list[dict]
    scheduler_alive: bool
    scheduler_heartbeat_age_s: float | None
    next_timer_due: datetime | None
    outbox: dict[str, int]
    redis_error: str | None = None


def health() -> Health:
    """RQ queue and its failed jobs, workers with their heartbeats, the scheduler's leader, the next timer due
    and the engine's job outbox by status."""
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    from app.platform.queue import job_queue, redis_connection
    from app.scheduler import heartbeat_age_s
    from app.worker import alive_workers

    config = current_app.config
    next_timer = db.session.execute(select(func.min(Timer.due_at))).scalar()
    outbox = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    try:
        queue = job_queue()
        failed_registry = FailedJobRegistry(queue=queue)
        failed_jobs = []
        for job in queue.job_class.fetch_many(failed_registry.get_job_ids(0, 19), connection=queue.connection):
            if job is None:
                continue
            error = (job.latest_result().exc_string if job.latest_result() else "") or ""
            failed_jobs.append({"id": job.id, "func": job.func_name, "args": list(job.args or ())[:3],
                                "ended_at": job.ended_at, "error": error.strip().splitlines()[-1:] or [""]})
        alive = {w.name for w in alive_workers(queue, config["HEALTH_STALE_AFTER_S"])}
        from rq import Worker
        workers = [{"name": w.name, "state": w.get_state(), "alive": w.name in alive,
                    "last_heartbeat": w.last_heartbeat, "current_job": w.get_current_job_id(),
                    "successful": w.successful_job_count, "failed": w.failed_job_count}
                   for w in Worker.all(queue=queue)]
        age = heartbeat_age_s(redis_connection(), config["SCHEDULER_LEADER_KEY"])
        return Health(queue.name, queue.count, StartedJobRegistry(queue=queue).count, failed_registry.count,
                      ScheduledJobRegistry(queue=queue).count, failed_jobs, sorted(workers, key=lambda w: w["name"]),
                      age is not None and age <= config["HEALTH_STALE_AFTER_S"], age, next_timer, outbox)
    except Exception as err:  # noqa: BLE001 - Redis away: the page says so instead of failing
        return Health(config["RQ_QUEUE"], 0, 0, 0, 0, [], [], False, None, next_timer, outbox,
                      redis_error=type(err).__name__)
