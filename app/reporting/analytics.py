"""Process analytics (like Camunda Optimize), read from the facts the projection keeps (projection.py) and
their summary tables (rollups.py), never from the event table: per process, the cycle-time distribution
(p50/p90), time per user task (waiting vs working), a duration heatmap for the diagram, SLA targets per task
with breaches and their weekly trend, throughput per week, where instances end, and the variants (paths of
user tasks), most frequent first.

The cycle time and the time per task read the summaries (a row per day and duration step, per day and task),
so their cost does not grow with the number of instances. Percentiles are nearest-rank (the value at rank
ceil(p*n)): exact when the duration step holding that rank holds one value, else within that 1 % step."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select

from app.engine.models import ProcessDefinition
from app.identity.principal import Principal
from app.modeler import queries as modeler_queries
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.reporting.models import InstanceEndRollup, InstanceFact, SlaTarget, TaskDayRollup, TaskFact
from app.reporting.projection import PATH_SEPARATOR, week_of
from app.reporting.rollups import CYCLE_BUCKETS, NO_DURATION
HEAT_LEVELS = 4


@dataclass(frozen=True)
class Period:
    """Instances (or task runs) that ended in [start, end) local days; None: open on that side."""
    start: date | None = None
    end: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        lo = datetime.combine(self.start, time.min, tzinfo=LOCAL_TZ) if self.start else None
        hi = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=LOCAL_TZ) if self.end else None
        return lo, hi

    def where(self, column) -> list:
        lo, hi = self.bounds()
        return [c for c in (column >= lo if lo else None, column < hi if hi else None) if c is not None]

    def days(self, column) -> list:
        """The same period over a column of local days (a summary table's)."""
        return [c for c in (column >= self.start if self.start else None, column <= self.end if self.end else None)
                if c is not None]


def visible_processes(principal: Principal) -> list[tuple[str, str]]:
    """(process key, name) of the processes whose analytics this principal may read."""
    names: dict[str, str] = {}
    for key, name in db.session.execute(
            select(ProcessDefinition.process_key, ProcessDefinition.name).where(ProcessDefinition.is_test.is_(False))
            .order_by(ProcessDefinition.process_key, ProcessDefinition.version)).all():
        names[key] = name
    if not principal.can("analytics.view_all"):
        owned = modeler_queries.owned_processes(principal.id)
        names = {k: v for k, v in names.items() if k in owned}
    return sorted(names.items(), key=lambda kv: kv[1])


def may_read(principal: Principal, process_key: str) -> bool:
    return any(key == process_key for key, _ in visible_processes(principal))


@dataclass
class CycleTime:
    count: int
    p50_s: int | None
    p90_s: int | None
    average_s: int | None
    buckets: dict[str, int]


def _percentile(steps: list[tuple[int, int, int]], count: int, p: float) -> int | None:
    """Nearest rank over the duration steps in order, (n, smallest, largest) each; inside a step holding
    several values, the rank's place between its smallest and largest."""
    if not count:
        return None
    rank = max(1, math.ceil(p * count))
    seen = 0
    for n, low, high in steps:
        if seen + n >= rank:
            if n == 1 or low == high:
                return low
            return round(low + (high - low) * (rank - seen - 1) / (n - 1))
        seen += n
    return steps[-1][2] if steps else None


def cycle_time(process_key: str, period: Period = Period()) -> CycleTime:
    """Start to end of the completed instances that ended in the period."""
    R = InstanceEndRollup
    rows = db.session.execute(
        select(R.cycle_bucket, R.log_bucket, func.sum(R.n), func.sum(R.sum_s), func.min(R.min_s), func.max(R.max_s))
        .where(R.process_key == process_key, R.end_state == "completed", R.log_bucket != NO_DURATION,
               *period.days(R.end_day))
        .group_by(R.cycle_bucket, R.log_bucket).order_by(R.log_bucket, R.cycle_bucket)).all()
    count = sum(int(r[2]) for r in rows)
    total = sum(int(r[3]) for r in rows)
    buckets = {key: 0 for key, _ in CYCLE_BUCKETS}
    for r in rows:
        buckets[CYCLE_BUCKETS[r[0]][0]] += int(r[2])
    steps = [(int(r[2]), int(r[4]), int(r[5])) for r in rows]
    return CycleTime(count, _percentile(steps, count, 0.5), _percentile(steps, count, 0.9),
                     total // count if count else None, buckets)


@dataclass
class TaskTime:
    spec_id: str
    name: str
    lane: str | None
    count: int
    waiting_s: int
    working_s: int

    @property
    def total_s(self) -> int:
        return self.waiting_s + self.working_s


def task_times(process_key: str, period: Period = Period()) -> list[TaskTime]:
    """Average waiting and working time per user task, over its completed runs in the period, longest first."""
    R = TaskDayRollup
    rows = db.session.execute(
        select(R.task_spec_id, func.max(R.task_name), func.max(R.lane), func.sum(R.n), func.sum(R.waiting_s),
               func.sum(R.working_s))
        .where(R.process_key == process_key, *period.days(R.done_day)).group_by(R.task_spec_id)).all()
    times = [TaskTime(r[0], r[1] or r[0], r[2], int(r[3]), int(r[4] or 0) // int(r[3]), int(r[5] or 0) // int(r[3]))
             for r in rows if r[3]]
    return sorted(times, key=lambda t: (-t.total_s, t.spec_id))  # ties in a stable order


def heatmap(times: list[TaskTime]) -> dict[str, dict]:
    """Per task: its average total time and a level 0..3 relative to the slowest task (the diagram's colour)."""
    longest = max((t.total_s for t in times), default=0)
    return {t.spec_id: {"seconds": t.total_s, "count": t.count,
                        "level": min(HEAT_LEVELS - 1, int(HEAT_LEVELS * t.total_s / longest)) if longest else 0}
            for t in times}


def week_starts(weeks: int, now: datetime | None = None) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first."""
    this_week = week_of(now or utcnow())
    return [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def throughput(process_key: str, weeks: int = 12, now: datetime | None = None) -> list[tuple[date, int, int]]:
    """Per week (Monday): instances completed, instances terminated."""
    starts = week_starts(weeks, now)
    counts = {(w, s): n for w, s, n in db.session.execute(
        select(InstanceFact.ended_week, InstanceFact.end_state, func.count())
        .where(InstanceFact.process_key == process_key, InstanceFact.ended_week >= starts[0])
        .group_by(InstanceFact.ended_week, InstanceFact.end_state)).all()}
    return [(w, counts.get((w, "completed"), 0), counts.get((w, "terminated"), 0)) for w in starts]


def end_states(process_key: str, period: Period = Period()) -> list[tuple[str, str | None, int]]:
    """(end state, end event, instances), most frequent first."""
    return [tuple(r) for r in db.session.execute(
        select(InstanceFact.end_state, InstanceFact.end_event, func.count().label("n"))
        .where(InstanceFact.process_key == process_key, InstanceFact.end_state.is_not(None),
               *period.where(InstanceFact.ended_at))
        .group_by(InstanceFact.end_state, InstanceFact.end_event).order_by(func.count().desc())).all()]


@dataclass
class Variant:
    steps: list[str]
    count: int
    average_s: int | None


def variants(process_key: str, period: Period = Period(), limit: int = 10) -> list[Variant]:
    """The paths of user tasks ended instances took, most frequent first."""
    rows = db.session.execute(
        select(func.max(InstanceFact.path), func.count().label("n"), func.avg(InstanceFact.duration_s))
        .where(InstanceFact.process_key == process_key, InstanceFact.path_hash.is_not(None),
               *period.where(InstanceFact.ended_at))
        .group_by(InstanceFact.path_hash).order_by(func.count().desc(), func.max(InstanceFact.path)).limit(limit)).all()
    return [Variant(path.split(PATH_SEPARATOR) if path else [], n, int(avg) if avg is not None else None)
            for path, n, avg in rows]


@dataclass
class SlaRow:
    spec_id: str
    name: str
    target_hours: int | None
    done: int
    breaches: int
    trend: list[tuple[date, int, int]]   # (week, done, breaches)

    @property
    def breach_rate(self) -> float | None:
        return self.breaches / self.done if self.done and self.target_hours else None


def sla(process_key: str, times: list[TaskTime], weeks: int = 12, now: datetime | None = None) -> list[SlaRow]:
    """Per user task: its target (hours, ready to done), how many completed runs in the last `weeks` weeks
    exceeded it, per week."""
    targets = dict(db.session.execute(select(SlaTarget.task_spec_id, SlaTarget.target_hours)
                                      .where(SlaTarget.process_key == process_key)).all())
    starts = week_starts(weeks, now)
    per_week: dict[str, dict[date, tuple[int, int]]] = {}
    if targets:
        limit = case(*((TaskFact.task_spec_id == spec, hours * 3600) for spec, hours in targets.items()), else_=None)
        for spec, week, done, breaches in db.session.execute(
                select(TaskFact.task_spec_id, TaskFact.completed_week, func.count(),
                       func.sum(case((TaskFact.waiting_s + TaskFact.working_s > limit, 1), else_=0)))
                .where(TaskFact.process_key == process_key, TaskFact.outcome == "completed",
                       TaskFact.task_spec_id.in_(targets), TaskFact.completed_week >= starts[0])
                .group_by(TaskFact.task_spec_id, TaskFact.completed_week)).all():
            per_week.setdefault(spec, {})[week] = (done, int(breaches or 0))
    names = {t.spec_id: t.name for t in times}
    rows = []
    for spec in sorted(set(names) | set(targets), key=lambda s: names.get(s, s)):
        weekly = per_week.get(spec, {})
        trend = [(w, *weekly.get(w, (0, 0))) for w in starts]
        rows.append(SlaRow(spec, names.get(spec, spec), targets.get(spec), sum(d for _, d, _ in trend),
                           sum(b for _, _, b in trend), trend))
    return rows


def latest_definition_id(process_key: str) -> int | None:
    return db.session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == process_key,
                                                                 ProcessDefinition.is_test.is_(False))
                              .order_by(ProcessDefinition.version.desc()).limit(1)).scalar()
