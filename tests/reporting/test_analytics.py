"""Process analytics against hand-computed figures on seeded history, and the same figures after rebuilding
the read models from history.

Seeded (T0 = a Monday 09:00, two weeks back; hours after T0):
  I1: submit ready 0 done 1 (never claimed); review ready 1, claimed 3, done 5; ends at end_ok, 5 h
  I2: submit ready 0 done 2; review ready 2, claimed 2, done 12; ends at end_declined, 12 h
  I3: submit ready 0 done 3; review ready 3; terminated at 30
  I4: submit ready 0 done 1; review ready 1, done 2 (never claimed); ends at end_ok, 2 h
  I5: like I1 but a test run: counted nowhere
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from app import engine
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.reporting import analytics, projection, services
from app.reporting.analytics import Period
from tests.engine.test_engine_core import make_user
from tests.reporting.helpers import complete, mark_test_run, review_process, shift_history, task_guid

H = 3600


def _run(definition, actor: int, *, claim_review: bool, approved: bool | None, terminate: bool = False) -> int:
    instance_id = engine.start_instance(definition, {})
    complete(instance_id, "submit", actor_id=actor)
    if claim_review:
        engine.claim_task(task_guid(instance_id, "review"), actor)
    if terminate:
        engine.terminate(instance_id, actor, reason="withdrawn")
    else:
        complete(instance_id, "review", {"approved": approved}, actor_id=actor)
    return instance_id


def _place(instance_id: int, t0: datetime, *, done_submit: float, review_claimed: float | None = None,
           review_done: float | None = None, terminated: float | None = None) -> None:
    at = lambda hours: t0 + timedelta(hours=hours)  # noqa: E731
    moves = {"instance_started": at(0), "task_ready:submit": at(0), "task_completed:submit": at(done_submit),
             "task_ready:review": at(done_submit)}
    if review_claimed is not None:
        moves["task_claimed:review"] = at(review_claimed)
    if review_done is not None:
        moves["task_completed:review"] = at(review_done)
        moves["instance_completed"] = at(review_done)
    if terminated is not None:
        moves["task_cancelled:review"] = at(terminated)
        moves["instance_terminated"] = at(terminated)
    shift_history(instance_id, **moves)


@pytest.fixture
def seeded(ctx, unique):
    pid = f"an_{unique}"
    definition = review_process(pid, f"lane_{unique}")
    actor = make_user(f"u_{unique}")
    monday = projection.week_of(utcnow()) - timedelta(weeks=2)
    t0 = datetime.combine(monday, time(9), tzinfo=LOCAL_TZ)
    i1 = _run(definition, actor, claim_review=True, approved=True)
    i2 = _run(definition, actor, claim_review=True, approved=False)
    _place(i1, t0, done_submit=1, review_claimed=3, review_done=5)
    _place(i2, t0, done_submit=2, review_claimed=2, review_done=12)
    projection.catch_up(settle_s=0)  # the first half applied on its own, the rest later
    i3 = _run(definition, actor, claim_review=False, approved=None, terminate=True)
    i4 = _run(definition, actor, claim_review=False, approved=True)
    i5 = _run(definition, actor, claim_review=True, approved=True)
    _place(i3, t0, done_submit=3, terminated=30)
    _place(i4, t0, done_submit=1, review_done=2)
    _place(i5, t0, done_submit=1, review_claimed=3, review_done=5)
    mark_test_run(i5)
    projection.catch_up(settle_s=0)
    return pid, monday, actor


def _figures(pid: str, monday) -> dict:
    times = analytics.task_times(pid)
    return {
        "cycle": analytics.cycle_time(pid).__dict__,
        "tasks": [(t.spec_id, t.count, t.waiting_s, t.working_s) for t in times],
        "heat": analytics.heatmap(times),
        "throughput": [row for row in analytics.throughput(pid, 4) if row[0] == monday],
        "ends": sorted(analytics.end_states(pid), key=lambda r: (r[0], r[1] or "")),
        "variants": [(v.steps, v.count, v.average_s) for v in analytics.variants(pid)],
        "sla": [(s.spec_id, s.target_hours, s.done, s.breaches) for s in analytics.sla(pid, times, 4)],
    }


def test_figures_match_hand_computed_values(seeded):
    pid, monday, actor = seeded
    services.set_sla(pid, "review", "3", actor)
    f = _figures(pid, monday)
    assert f["cycle"]["count"] == 3
    assert f["cycle"]["p50_s"] == 5 * H and f["cycle"]["p90_s"] == 12 * H
    assert f["cycle"]["average_s"] == (5 + 12 + 2) * H // 3
    assert f["cycle"]["buckets"]["h8"] == 2 and f["cycle"]["buckets"]["d1"] == 1
    assert sum(f["cycle"]["buckets"].values()) == 3
    assert f["tasks"] == [("review", 3, 1 * H, 4 * H), ("submit", 4, 7 * H // 4, 0)]
    assert f["heat"]["review"]["level"] == 3 and f["heat"]["submit"]["level"] == 1
    assert f["throughput"] == [(monday, 3, 1)]
    assert f["ends"] == [("completed", "end_declined", 1), ("completed", "end_ok", 2), ("terminated", None, 1)]
    assert f["variants"] == [(["submit", "review"], 3, (5 + 12 + 2) * H // 3), (["submit"], 1, 30 * H)]
    assert f["sla"] == [("review", 3, 3, 2), ("submit", None, 0, 0)]
    week = [t for t in analytics.sla(pid, analytics.task_times(pid), 4)[0].trend if t[0] == monday]
    assert week == [(monday, 3, 2)]


def test_a_period_narrows_the_figures(seeded):
    pid, monday, _ = seeded
    first_day = Period(monday, monday)        # ends on Monday: I1 (5 h) and I4 (2 h); I2 ends 21:00 Monday too
    assert analytics.cycle_time(pid, first_day).count == 3
    next_day = Period(monday + timedelta(days=1), None)  # only I3's termination (Tuesday 15:00)
    assert analytics.cycle_time(pid, next_day).count == 0
    assert analytics.end_states(pid, next_day) == [("terminated", None, 1)]
    assert analytics.task_times(pid, Period(None, monday - timedelta(days=1))) == []


def test_rebuilding_from_history_gives_the_same_figures(seeded):
    pid, monday, actor = seeded
    services.set_sla(pid, "review", "3", actor)
    before = _figures(pid, monday)
    projection.rebuild()
    assert _figures(pid, monday) == before
    assert projection.catch_up(settle_s=0) == 0


def test_summaries_hold_the_facts_sums(seeded):
    """The summary tables the reports read sum the facts: ended instances and completed task runs."""
    from sqlalchemy import func, select

    from app.platform.extensions import db
    from app.reporting.models import InstanceEndRollup, InstanceFact, TaskDayRollup, TaskFact

    pid, _monday, _actor = seeded
    for _ in range(2):  # as maintained batch by batch, then as rebuilt from the whole history
        ends = db.session.execute(select(InstanceEndRollup.end_state, func.sum(InstanceEndRollup.n),
                                         func.sum(InstanceEndRollup.sum_s))
                                  .where(InstanceEndRollup.process_key == pid)
                                  .group_by(InstanceEndRollup.end_state).order_by(InstanceEndRollup.end_state)).all()
        facts = db.session.execute(select(InstanceFact.end_state, func.count(), func.sum(InstanceFact.duration_s))
                                   .where(InstanceFact.process_key == pid, InstanceFact.end_state.is_not(None))
                                   .group_by(InstanceFact.end_state).order_by(InstanceFact.end_state)).all()
        assert [tuple(map(int, r[1:])) for r in ends] == [tuple(map(int, r[1:])) for r in facts]
        assert [r[0] for r in ends] == ["completed", "terminated"]
        tasks = db.session.execute(select(func.sum(TaskDayRollup.n), func.sum(TaskDayRollup.waiting_s),
                                          func.sum(TaskDayRollup.working_s))
                                   .where(TaskDayRollup.process_key == pid)).one()
        runs = db.session.execute(select(func.count(), func.sum(TaskFact.waiting_s), func.sum(TaskFact.working_s))
                                  .where(TaskFact.process_key == pid, TaskFact.outcome == "completed")).one()
        # waiting: submit 1+2+3+1 h, review 2+0+1 h; working: review 2+10+0 h
        assert tuple(map(int, tasks)) == tuple(map(int, runs)) == (7, 10 * H, 12 * H)
        projection.rebuild()


def test_a_page_applies_one_batch_at_most(ctx, unique):
    definition = review_process(f"an_{unique}", f"lane_{unique}")
    for _ in range(3):
        engine.start_instance(definition, {})
    assert projection.catch_up(settle_s=0, batch=2, max_batches=1) == 2  # a page's share; the job does the rest
    assert projection.catch_up(settle_s=0, batch=2) > 0
    assert projection.catch_up(settle_s=0, batch=2, max_batches=1) == 0


def test_recent_events_wait_until_settled(ctx, unique):
    definition = review_process(f"an_{unique}", f"lane_{unique}")
    projection.catch_up(settle_s=0)
    instance_id = engine.start_instance(definition, {})
    projection.catch_up(settle_s=3600)
    assert analytics.task_times(f"an_{unique}") == []
    complete(instance_id, "submit")
    projection.catch_up(settle_s=0)
    assert [t.spec_id for t in analytics.task_times(f"an_{unique}")] == ["submit"]


def test_an_event_dated_ahead_of_the_clock_holds_nothing_back(ctx, unique):
    """History written under a controlled clock (demo data, tests) may lie ahead of the wall clock: it has no age
    to wait for, and the events after it are applied all the same."""
    definition = review_process(f"an_{unique}", f"lane_{unique}")
    projection.catch_up(settle_s=0)
    ahead = engine.start_instance(definition, {})
    shift_history(ahead, instance_started=utcnow() + timedelta(days=400))
    later = engine.start_instance(definition, {})
    complete(later, "submit")
    projection.catch_up(settle_s=0)
    assert [t.spec_id for t in analytics.task_times(f"an_{unique}")] == ["submit"]


def test_sla_target_input(ctx, unique):
    actor = make_user(f"u_{unique}")
    for bad in ("0", "-1", "abc", str(24 * 366)):
        with pytest.raises(services.ReportingError) as err:
            services.set_sla("p", "t", bad, actor)
        assert "hours" in err.value.errors
    services.set_sla(f"p_{unique}", "t", "48", actor)
    services.set_sla(f"p_{unique}", "t", "", actor)
    assert analytics.sla(f"p_{unique}", []) == []


def test_rebuild_command_and_periodic_job(ctx):
    from app.platform.areas import EXTENSION_KEY

    result = ctx.test_cli_runner().invoke(args=["reporting-rebuild"])
    assert result.exit_code == 0 and "history events applied" in result.output
    jobs = [j for area in ctx.extensions[EXTENSION_KEY].areas for j in area.periodic_jobs]
    assert any(j.func == "tasks.reporting.catch_up" for j in jobs)
