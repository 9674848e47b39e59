"""Booking rules without a database or an app: slots and their problems, transitions, grace and offers,
credit and suspension, resource descriptions."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from app.bookings import domain

LOCAL = domain.LOCAL_TZ
SCHEDULE = domain.Schedule(opens=time(8), closes=time(21), closed_weekdays=frozenset({6}),
                           closed_dates=frozenset({date(2026, 10, 1)}), slot_minutes=60, max_minutes=120,
                           advance_days=7)
MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 6, 20, 0, tzinfo=LOCAL)  # Sunday evening


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL)


def slot(day: date, hour: int, minutes: int = 60, minute: int = 0) -> domain.Slot:
    return domain.Slot(at(day, hour, minute), at(day, hour, minute) + timedelta(minutes=minutes))


def test_day_slots_follow_opening_hours_and_closed_days():
    slots = domain.day_slots(SCHEDULE, MONDAY)
    assert len(slots) == 13 and slots[0].start == at(MONDAY, 8) and slots[-1].end == at(MONDAY, 21)
    assert domain.day_slots(SCHEDULE, MONDAY + timedelta(days=6)) == []   # Sunday
    assert domain.day_slots(SCHEDULE, date(2026, 10, 1)) == []            # National Day


@pytest.mark.parametrize("asked, problem", [
    (slot(MONDAY, 9), None),
    (slot(MONDAY, 9, 120), None),
    (slot(MONDAY, 9, 180), "too_long"),
    (slot(MONDAY, 9, 30), "aligned"),
    (slot(MONDAY, 9, 60, minute=30), "aligned"),
    (slot(MONDAY, 7), "hours"),
    (slot(MONDAY, 20, 120), "hours"),
    (slot(MONDAY + timedelta(days=6), 9), "closed_day"),
    (slot(MONDAY + timedelta(days=8), 9), "too_far"),
    (slot(date(2026, 12, 6), 19), "past"),
    (domain.Slot(at(MONDAY, 10), at(MONDAY, 9)), "order"),
])
def test_slot_problems(asked, problem):
    assert domain.slot_problem(SCHEDULE, asked, NOW) == problem


def test_transitions_and_holding_statuses():
    assert domain.can_move(domain.PENDING, domain.CONFIRMED) and domain.can_move(domain.CONFIRMED, domain.NO_SHOW)
    assert not domain.can_move(domain.COMPLETED, domain.CANCELLED)
    assert not domain.can_move(domain.NO_SHOW, domain.IN_USE)
    assert domain.can_move(domain.WAITLISTED, domain.OFFERED) and domain.can_move(domain.OFFERED, domain.LAPSED)
    assert set(domain.HOLDING) == {domain.PENDING, domain.CONFIRMED, domain.IN_USE, domain.OFFERED}
    assert domain.status_on_request(domain.APPROVAL) == domain.PENDING
    assert domain.status_on_request(domain.DIRECT) == domain.CONFIRMED


def test_grace_and_offers():
    start, end = at(MONDAY, 9), at(MONDAY, 10)
    assert domain.grace_until(start, 15, end) == at(MONDAY, 9, 15)
    assert domain.grace_until(start, 90, end) == end
    assert domain.offer_expires(at(MONDAY, 8), start, end) == at(MONDAY, 8, 30)
    assert domain.offer_expires(at(MONDAY, 8, 50), start, end) == start
    assert domain.offer_expires(at(MONDAY, 9, 20), start, end) == at(MONDAY, 9, 30)  # a quarter of what is left
    assert domain.may_offer(domain.DIRECT, at(MONDAY, 9, 20), start, end, 15)
    assert not domain.may_offer(domain.DIRECT, at(MONDAY, 9, 50), start, end, 15)
    assert not domain.may_offer(domain.APPROVAL, at(MONDAY, 9, 1), start, end, 15)
    assert domain.used_minutes(at(MONDAY, 9, 5), at(MONDAY, 9, 45)) == 40
    assert domain.used_minutes(None, at(MONDAY, 9, 45)) == 0


def test_three_no_shows_suspend_for_thirty_days_then_the_score_starts_again():
    policy = domain.CreditPolicy()
    credit = domain.Credit(policy.start)
    for n in range(1, 3):
        credit = domain.after_no_show(credit, policy, NOW)
        assert credit.score == 100 - 10 * n and credit.suspended_until is None and credit.events == ("no_show",)
    credit = domain.after_no_show(credit, policy, NOW)
    assert credit.events == ("no_show", "suspended") and credit.suspended_until == NOW + timedelta(days=30)
    assert credit.score == policy.start and credit.no_shows == 3
    assert domain.is_suspended(credit.suspended_until, NOW + timedelta(days=29))
    assert not domain.is_suspended(credit.suspended_until, NOW + timedelta(days=30, seconds=1))
    strict = domain.CreditPolicy(no_show_penalty=30, threshold=80, suspension_days=7)
    assert domain.after_no_show(domain.Credit(100), strict, NOW).suspended_until == NOW + timedelta(days=7)


def test_roles_and_resource_descriptions():
    assert domain.may_book({"student"}, ["student", "staff"]) and not domain.may_book({"employer"}, ["student"])
    good = domain.ResourceInput("STUDIO-1", "1 号录播间", domain.STUDIO, "3 楼", domain.APPROVAL, SCHEDULE,
                                roles=("student",), devices=(("studio-1", "studio"),))
    assert domain.resource_problems(good) == {}
    bad = domain.ResourceInput("录播 1", "", "garage", "x" * 101, "maybe",
                               domain.Schedule(opens=time(21), closes=time(8), slot_minutes=7, max_minutes=60,
                                               advance_days=400),
                               grace_minutes=500, roles=("guest",), devices=(("a b", "studio"), ("x", "toaster")))
    assert set(domain.resource_problems(bad)) == {"code", "name", "location", "kind", "booking_mode", "closes",
                                                  "slot_minutes", "advance_days", "grace_minutes", "roles",
                                                  "devices"}
    assert domain.booking_number(2026, 7) == "YY202600007" and domain.booking_key(5) == "BK-5"
