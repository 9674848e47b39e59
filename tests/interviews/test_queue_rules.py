"""The queue's rules, pure: no database, no Redis, no app."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.interviews import queue_rules as rules

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=timezone.utc)


def test_ticket_states_move_only_along_the_lifecycle():
    assert rules.can_transition(rules.WAITING, rules.CALLED)
    assert rules.can_transition(rules.CALLED, rules.IN_INTERVIEW)
    assert rules.can_transition(rules.IN_INTERVIEW, rules.DONE)
    assert rules.can_transition(rules.CALLED, rules.NO_SHOW)
    assert rules.can_transition(rules.CALLED, rules.WAITING)          # the one re-queue
    assert rules.can_transition(rules.WAITING, rules.LEFT)
    for final in rules.FINAL:
        assert not any(rules.can_transition(final, s) for s in rules.STATES)
    assert not rules.can_transition(rules.WAITING, rules.IN_INTERVIEW)  # called first
    assert not rules.can_transition(rules.IN_INTERVIEW, rules.LEFT)
    assert not rules.can_transition(rules.WAITING, rules.DONE)
    assert rules.ACTIVE == (rules.WAITING, rules.CALLED, rules.IN_INTERVIEW)


def test_invited_students_come_before_walk_ins_then_by_arrival():
    walk_in_first = rules.order_key(rules.priority_class(False), 1)
    invited_later = rules.order_key(rules.priority_class(True), 7)
    walk_in_later = rules.order_key(rules.priority_class(False), 3)
    tickets = [(1, walk_in_first), (2, invited_later), (3, walk_in_later)]
    assert rules.ordered(tickets) == [2, 1, 3]
    assert rules.arrival_of(invited_later) == 7


def test_order_keys_are_exact_in_a_redis_score():
    """Scores are doubles: every key must stay exact (below 2**53), or two tickets could swap."""
    biggest = rules.order_key(rules.WALK_IN_CLASS, rules.ORDER_SPAN - 1)
    assert biggest < 2**53 and float(biggest) == biggest
    with pytest.raises(ValueError):
        rules.order_key(rules.WALK_IN_CLASS, rules.ORDER_SPAN)
    with pytest.raises(ValueError):
        rules.order_key(2, 1)


def test_a_no_show_is_requeued_once_at_the_end_then_final():
    assert rules.after_no_show(0) == rules.WAITING
    assert rules.after_no_show(1) == rules.NO_SHOW
    assert rules.requeue_priority() == rules.WALK_IN_CLASS
    # at the end: after every walk-in that checked in before the re-queue (a higher arrival), even when the
    # re-queued student had been invited
    waiting = [(10, rules.order_key(rules.WALK_IN_CLASS, 5)), (11, rules.order_key(rules.INVITED_CLASS, 6))]
    requeued = (12, rules.order_key(rules.requeue_priority(), 9))
    assert rules.ordered([*waiting, requeued])[-1] == 12


def test_no_show_only_after_the_minutes_to_come():
    times = rules.QueueTimes(no_show_minutes=3, pause_minutes=5)
    assert not rules.may_mark_no_show(T0, T0 + timedelta(minutes=2, seconds=59), times)
    assert rules.may_mark_no_show(T0, T0 + timedelta(minutes=3), times)
    assert rules.no_show_at(T0, times) == T0 + timedelta(minutes=3)


def test_a_student_called_elsewhere_is_passed_over_while_held():
    waiting = [(1, 7), (2, None), (3, 9)]   # student 1 held by booth 7
    assert rules.first_callable(waiting, booth_id=9) == 2
    assert rules.first_callable(waiting, booth_id=7) == 1   # the booth holding him may call him
    assert rules.first_callable([(1, 7)], booth_id=9) is None
    times = rules.QueueTimes(no_show_minutes=3, pause_minutes=5)
    assert rules.call_pause_ms(times) == 5 * 60_000
    assert rules.call_pause_ms(rules.QueueTimes(no_show_minutes=8, pause_minutes=5)) == 8 * 60_000
    assert rules.interview_pause_ms(times) == 60 * 60_000


def test_queue_times_are_bounded():
    with pytest.raises(ValueError):
        rules.QueueTimes(no_show_minutes=0)
    with pytest.raises(ValueError):
        rules.QueueTimes(pause_minutes=500)


def test_estimated_wait_is_position_times_the_recent_average():
    assert rules.estimated_wait_s(3, [240, 360]) == 3 * 300
    assert rules.estimated_wait_s(1, []) == rules.DEFAULT_INTERVIEW_S
    assert rules.estimated_wait_s(0, [100]) == 0
    # only the last ten count, and absurd lengths are clipped
    assert rules.average_interview_s([120] * 10 + [9999] * 5) == 120
    assert rules.average_interview_s([5, 99_999]) == (rules.MIN_INTERVIEW_S + rules.MAX_INTERVIEW_S) / 2


def test_numbers_as_boards_show_them():
    assert rules.display_number(7) == "007"
    assert rules.display_number(1234) == "1234"
    assert rules.ticket_label("A07", 12) == "A07-012"
