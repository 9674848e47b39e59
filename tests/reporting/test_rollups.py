"""The summary tables (app/reporting/rollups.py): a changed fact moves its contribution, the percentile inside
a duration step, the steps themselves."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from app.platform.extensions import db
from app.platform.uow import unit_of_work
from app.reporting import analytics, rollups
from app.reporting.models import InstanceEndRollup, TaskDayRollup

ENDED = datetime(2031, 3, 4, 2, 0, tzinfo=timezone.utc)   # 10:00 in Shanghai: local day 4 March


def _fact(key: str, definition_id: int, duration: int | None, end_state: str | None = "completed") -> dict:
    return {"instance_id": 1, "process_key": key, "definition_id": definition_id, "end_state": end_state,
            "ended_at": ENDED if end_state else None, "duration_s": duration}


def _task(key: str, waiting: int, working: int, outcome: str | None = "completed") -> dict:
    return {"process_key": key, "task_spec_id": "review", "task_name": "审核", "lane": "staff",
            "outcome": outcome, "done_at": ENDED if outcome else None, "waiting_s": waiting, "working_s": working}


def _ends(key: str) -> list:
    return [tuple(r) for r in db.session.execute(
        select(InstanceEndRollup.definition_id, InstanceEndRollup.end_day, InstanceEndRollup.n,
               InstanceEndRollup.sum_s, InstanceEndRollup.min_s, InstanceEndRollup.max_s)
        .where(InstanceEndRollup.process_key == key).order_by(InstanceEndRollup.definition_id)).all()]


def _tasks(key: str) -> list:
    return [tuple(r) for r in db.session.execute(
        select(TaskDayRollup.done_day, TaskDayRollup.n, TaskDayRollup.waiting_s, TaskDayRollup.working_s)
        .where(TaskDayRollup.process_key == key)).all()]


def _apply(old_facts=None, new_facts=None, old_tasks=None, new_tasks=None) -> None:
    with unit_of_work() as uow:
        rollups.apply(uow, old_facts or {}, new_facts or {}, old_tasks or {}, new_tasks or {})
        uow.commit()


def test_a_changed_fact_moves_its_contribution(ctx, unique):
    key = f"roll_{unique}"
    running = _fact(key, 1, None, end_state=None)
    _apply({1: None, 2: None}, {1: running, 2: _fact(key, 1, 3600)})
    assert _ends(key) == [(1, date(2031, 3, 4), 1, 3600, 3600, 3600)]  # the running one counts nowhere
    _apply({1: running}, {1: _fact(key, 1, 3600)})                       # a second end, same step
    assert _ends(key) == [(1, date(2031, 3, 4), 2, 7200, 3600, 3600)]
    _apply({1: _fact(key, 1, 3600)}, {1: _fact(key, 2, 3600)})           # migrated to version 2
    assert _ends(key) == [(1, date(2031, 3, 4), 1, 3600, 3600, 3600), (2, date(2031, 3, 4), 1, 3600, 3600, 3600)]
    _apply({2: _fact(key, 1, 3600)}, {2: None})                           # gone: its row goes with it
    assert _ends(key) == [(2, date(2031, 3, 4), 1, 3600, 3600, 3600)]
    _apply({"g": None}, {"g": _task(key, 0, 0, outcome=None)}, {"g": None}, {"g": _task(key, 0, 0, outcome=None)})
    assert _tasks(key) == []                                              # an open task counts nowhere
    _apply({}, {}, {"g": _task(key, 0, 0, outcome=None)}, {"g": _task(key, 600, 1200)})
    _apply({}, {}, {"h": None}, {"h": _task(key, 300, 0)})
    assert _tasks(key) == [(date(2031, 3, 4), 2, 900, 1200)]


def test_percentile_inside_a_step():
    steps = [(1, 100, 100), (3, 200, 206), (1, 500, 500)]
    assert analytics._percentile(steps, 5, 0.2) == 100
    assert analytics._percentile(steps, 5, 0.5) == 203      # rank 3: the second of three between 200 and 206
    assert analytics._percentile(steps, 5, 0.9) == 500
    assert analytics._percentile([], 0, 0.5) is None


def test_duration_steps():
    assert [rollups.cycle_bucket(s) for s in (0, 3599, 3600, 8 * 3600 - 1, 8 * 3600, 10 ** 8)] == [0, 0, 1, 1, 2, 7]
    assert rollups.log_bucket(10_000) < rollups.log_bucket(10_101)    # 1 % apart: another step
    assert rollups.log_bucket(10_000) == rollups.log_bucket(10_001)
    assert rollups.log_bucket(-5) == 0
