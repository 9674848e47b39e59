"""Summary tables kept beside the facts, so that a report reads a few hundred summed rows instead of one row
per instance or task run: ended instances per process, version, end state, local day and duration step
(InstanceEndRollup), completed task runs per process, task and local day (TaskDayRollup).

The projection maintains them in the same transaction as the facts: for every fact a batch changed, its old
contribution is taken off and its new one added (`apply`). A rebuild empties them with the facts and applies
the whole history again, so the sums are those of the facts. Durations go into 1 % steps (the log of the
seconds), each step's smallest and largest duration kept: a percentile is exact when its step holds one
value, else within the step (1 %); counts, sums and averages are exact.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

from sqlalchemy import and_, bindparam, delete, insert, select, update

from app.platform.clock import LOCAL_TZ
from app.reporting.models import InstanceEndRollup, TaskDayRollup

# Cycle-time histogram: (label key, upper bound in hours); the last bucket is open-ended.
CYCLE_BUCKETS = (("h1", 1), ("h8", 8), ("d1", 24), ("d3", 72), ("d7", 168), ("d14", 336), ("d30", 720),
                 ("more", None))
IE, TD = InstanceEndRollup.__table__, TaskDayRollup.__table__
IE_KEY = ("process_key", "definition_id", "end_state", "end_day", "cycle_bucket", "log_bucket")
TD_KEY = ("process_key", "task_spec_id", "done_day")
NO_DURATION = -1


def cycle_bucket(seconds: int) -> int:
    """The histogram bar (index into CYCLE_BUCKETS) a duration falls in."""
    for index, (_key, upper) in enumerate(CYCLE_BUCKETS):
        if upper is None or seconds < upper * 3600:
            return index
    return len(CYCLE_BUCKETS) - 1


def log_bucket(seconds: int) -> int:
    return int(math.log1p(max(seconds, 0)) * 100)


def local_day(moment) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _instance_part(fact: dict | None) -> tuple[tuple, int | None] | None:
    """The rollup row an instance fact counts in (key, its duration), or None while it runs."""
    if not fact or fact.get("end_state") is None or fact.get("ended_at") is None:
        return None
    duration = fact.get("duration_s")
    buckets = (NO_DURATION, NO_DURATION) if duration is None else (cycle_bucket(duration), log_bucket(duration))
    return (fact["process_key"], fact.get("definition_id") or 0, fact["end_state"], local_day(fact["ended_at"]),
            *buckets), duration


def _task_part(task: dict | None) -> tuple | None:
    if not task or task.get("outcome") != "completed" or task.get("done_at") is None:
        return None
    return (task["process_key"], task["task_spec_id"], local_day(task["done_at"]))


def apply(uow, old_facts: dict, new_facts: dict, old_tasks: dict, new_tasks: dict) -> None:
    """Move the changed facts' contributions (old -> new) in the summary tables."""
    ends: dict[tuple, dict] = defaultdict(lambda: {"n": 0, "sum_s": 0, "min_s": None, "max_s": None})
    for key in set(old_facts) | set(new_facts):
        before, after = _instance_part(old_facts.get(key)), _instance_part(new_facts.get(key))
        if before == after:
            continue
        for part, sign in ((before, -1), (after, 1)):
            if part is None:
                continue
            row, duration = part
            delta = ends[row]
            delta["n"] += sign
            delta["sum_s"] += sign * (duration or 0)
            if sign > 0 and duration is not None:
                delta["min_s"] = duration if delta["min_s"] is None else min(delta["min_s"], duration)
                delta["max_s"] = duration if delta["max_s"] is None else max(delta["max_s"], duration)
    tasks: dict[tuple, dict] = defaultdict(lambda: {"n": 0, "waiting_s": 0, "working_s": 0})
    for key in set(old_tasks) | set(new_tasks):
        before, after = old_tasks.get(key), new_tasks.get(key)
        parts = [(p, s, t) for p, s, t in ((_task_part(before), -1, before), (_task_part(after), 1, after))
                 if p is not None]
        if len(parts) == 2 and parts[0][0] == parts[1][0] and all(
                (before or {}).get(c) == (after or {}).get(c) for c in ("waiting_s", "working_s")):
            continue
        for row, sign, task in parts:
            delta = tasks[row]
            delta["n"] += sign
            delta["waiting_s"] += sign * (task.get("waiting_s") or 0)
            delta["working_s"] += sign * (task.get("working_s") or 0)
            if sign > 0:
                delta["task_name"], delta["lane"] = task.get("task_name"), task.get("lane")
    _merge(uow, IE, IE_KEY, {k: v for k, v in ends.items() if v["n"] or v["sum_s"]}, _merge_end)
    _merge(uow, TD, TD_KEY, {k: v for k, v in tasks.items() if v["n"] or v["waiting_s"] or v["working_s"]},
           _merge_task)


def _merge_end(row: dict, delta: dict) -> dict:
    lows = [v for v in (row.get("min_s"), delta["min_s"]) if v is not None]
    highs = [v for v in (row.get("max_s"), delta["max_s"]) if v is not None]
    return {"n": row.get("n", 0) + delta["n"], "sum_s": row.get("sum_s", 0) + delta["sum_s"],
            "min_s": min(lows) if lows else None, "max_s": max(highs) if highs else None}


def _merge_task(row: dict, delta: dict) -> dict:
    merged = {c: row.get(c, 0) + delta[c] for c in ("n", "waiting_s", "working_s")}
    merged["task_name"] = delta.get("task_name", row.get("task_name"))
    merged["lane"] = delta.get("lane", row.get("lane"))
    return merged


def _merge(uow, table, key: tuple[str, ...], deltas: dict[tuple, dict], merge) -> None:
    """Add the deltas to the rows with their keys (inserting the missing ones, deleting the emptied ones).
    The projection's position lock is held, so nobody else writes these rows meanwhile."""
    if not deltas:
        return
    existing: dict[tuple, dict] = {}
    by_first = defaultdict(set)
    for k in deltas:
        by_first[k[0]].add(k[3] if table is IE else k[2])
    day_column = table.c.end_day if table is IE else table.c.done_day
    for process_key, days in by_first.items():
        days = sorted(days)
        for start in range(0, len(days), 500):
            for r in uow.execute(select(table).where(table.c.process_key == process_key,
                                                     day_column.in_(days[start:start + 500]))).mappings():
                existing[tuple(r[c] for c in key)] = dict(r)
    inserts, updates, deletes = [], [], []
    for k, delta in deltas.items():
        merged = merge(existing.get(k, {}), delta)
        if merged["n"] <= 0:
            if k in existing:
                deletes.append(k)
            continue
        values = {**dict(zip(key, k)), **merged}
        (updates if k in existing else inserts).append(values)
    if inserts:
        uow.execute(insert(table), inserts)
    if updates:
        columns = [c for c in updates[0] if c not in key]
        uow.execute(update(table).where(and_(*(table.c[c] == bindparam(f"k_{c}") for c in key)))
                    .values({c: bindparam(f"v_{c}") for c in columns}),
                    [{**{f"k_{c}": u[c] for c in key}, **{f"v_{c}": u[c] for c in columns}} for u in updates])
    for k in deletes:
        uow.execute(delete(table).where(and_(*(table.c[c] == v for c, v in zip(key, k)))))


def clear(uow) -> None:
    uow.execute(delete(IE))
    uow.execute(delete(TD))
