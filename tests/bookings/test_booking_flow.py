"""The booking process end to end on both databases, with controlled time and the device simulator: a studio
booked, confirmed, reminded, powered on and recording at the start, checked in, finished, the recording
fetched and registered; approval and rejection through the inbox task; cancel before the start with the
waitlist taking over; a no-show released by the grace timer, its credit lowered, a suspension and its lift."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app import engine
from app.bookings import credit, domain, services
from app.bookings.models import BookingCredit, CreditEvent
from app.notifications.models import Notification
from app.platform.extensions import db
from tests.bookings.conftest import make_resource, next_slot, people
from tests.bookings.helpers import booking, fire, open_tasks, state, task_guid


def _kinds(user_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(Notification.kind).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)).scalars())


def test_a_studio_from_booking_to_registered_recording(bctx, clock, simulator):
    studio = simulator.add("studio")
    resource = make_resource(devices=[{"id": studio.id, "kind": "studio"}])
    (student,) = people(1)
    slot = next_slot()
    booking_id = services.book(student, resource.id, slot, "空中面试：华辰科技")
    b = booking(booking_id)
    assert b.status == domain.CONFIRMED and b.number.startswith("YY")
    assert open_tasks(booking_id) == [] and "booking.confirmed" in _kinds(student)
    # the reminder an hour before; nothing is switched on yet
    fire(clock, slot.start - timedelta(minutes=59))
    assert "booking.reminder" in _kinds(student)
    assert simulator.inspect(studio)["state"]["powered"] is False
    # at the start the worker powers the studio on, configures it and starts recording
    fire(clock, slot.start + timedelta(seconds=1))
    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is True and seen["recording"] is not None
    assert open_tasks(booking_id) == ["check_in"]
    services.check_in(booking_id, student)
    assert booking(booking_id).status == domain.IN_USE and open_tasks(booking_id) == ["finish_use"]
    clock.travel_to(slot.start + timedelta(minutes=40))
    services.finish(booking_id, student)
    b = booking(booking_id)
    assert b.status == domain.COMPLETED and state(booking_id).status == "completed"
    assert b.recording["sha256"] and Path(b.recording["path"]).stat().st_size == b.recording["size"]
    seen = simulator.inspect(studio)
    assert seen["state"]["powered"] is False and seen["recording"] is None and len(seen["recordings"]) == 1
    assert domain.used_minutes(b.checked_in_at, b.ended_at) == 40



def _approve(booking_id: int, staff: int, decision: str, reason: str = "") -> None:
    guid = task_guid(booking_id, "approve")
    engine.claim_task(guid, staff)
    engine.complete_task(guid, {"booking_decision": decision, "decision_reason": reason}, staff)
    db.session.rollback()


def test_approval_in_the_device_desk_and_rejection_with_a_reason(bctx, clock):
    resource = make_resource(mode=domain.APPROVAL, kind=domain.INTERVIEW_ROOM)
    a, b = people(2)
    (staff,) = people(1, "staff")
    first = services.book(a, resource.id, next_slot(hour=9), "宣讲会彩排")
    second = services.book(b, resource.id, next_slot(hour=11), "群面")
    assert booking(first).status == domain.PENDING and open_tasks(first) == ["approve"]
    _approve(first, staff, "approve")
    assert booking(first).status == domain.CONFIRMED and booking(first).decided_by == staff
    _approve(second, staff, "reject", "该时段已安排校级活动")
    rejected = booking(second)
    assert rejected.status == domain.REJECTED and rejected.decision_reason == "该时段已安排校级活动"
    assert state(second).status == "completed" and "booking.rejected" in _kinds(b)
    # the rejected slot is free again
    services.book(a, resource.id, next_slot(hour=11), "换个时段")


def test_a_request_nobody_decides_lapses_at_the_start(bctx, clock):
    resource = make_resource(mode=domain.APPROVAL, kind=domain.INTERVIEW_ROOM)
    (a,) = people(1)
    slot = next_slot(hour=13)
    booking_id = services.book(a, resource.id, slot, "来不及审批")
    fire(clock, slot.start + timedelta(seconds=1))
    assert booking(booking_id).status == domain.EXPIRED and state(booking_id).status == "completed"


def test_cancel_hands_the_slot_to_the_waitlist_and_an_unanswered_offer_moves_on(bctx, clock):
    resource = make_resource(kind=domain.INTERVIEW_ROOM)
    holder, first, second = people(3)
    slot = next_slot(days=2, hour=15)
    held = services.book(holder, resource.id, slot, "模拟面试")
    try:
        services.book(first, resource.id, slot, "我也要")
        raise AssertionError("the slot was booked twice")
    except services.BookingError as err:
        assert err.code == "taken"
    w1 = services.join_waitlist(first, resource.id, slot, "排队一")
    w2 = services.join_waitlist(second, resource.id, slot, "排队二")
    assert booking(w1).status == domain.WAITLISTED and open_tasks(w1) == []
    services.cancel(held, holder, "临时有事")
    assert booking(held).status == domain.CANCELLED and state(held).status == "completed"
    offer = booking(w1)
    assert offer.status == domain.OFFERED and open_tasks(w1) == ["accept_offer"]
    assert "booking.offered" in _kinds(first) and booking(w2).status == domain.WAITLISTED
    # the first in line does not answer in time: the offer lapses and goes to the next
    fire(clock, offer.offer_expires_at + timedelta(seconds=1))
    assert booking(w1).status == domain.LAPSED and state(w1).status == "completed"
    assert booking(w2).status == domain.OFFERED and open_tasks(w2) == ["accept_offer"]
    services.answer_offer(w2, second, accept=True)
    assert booking(w2).status == domain.CONFIRMED
    # it is a normal booking now: reminded, started, checked in
    fire(clock, slot.start + timedelta(seconds=1))
    assert open_tasks(w2) == ["check_in"]


def test_a_no_show_is_released_to_the_waitlist_and_three_suspend_booking(bctx, clock, app):
    policy = credit.policy()
    resource = make_resource(kind=domain.INTERVIEW_ROOM, grace_minutes=15)
    late, waiting = people(2)
    (staff,) = people(1, "staff")
    for n, hour in enumerate((9, 11, 13), start=1):
        slot = next_slot(days=1, hour=hour)
        booking_id = services.book(late, resource.id, slot, f"第 {n} 次")
        queued = services.join_waitlist(waiting, resource.id, slot, "候补") if n == 1 else None
        fire(clock, slot.start + timedelta(seconds=1))
        assert open_tasks(booking_id) == ["check_in"]
        fire(clock, slot.start + timedelta(minutes=15, seconds=2))
        assert booking(booking_id).status == domain.NO_SHOW and state(booking_id).status == "completed"
        if queued:  # released while there is still time to use it: offered, taken, checked in by its new grace
            assert booking(queued).status == domain.OFFERED
            services.answer_offer(queued, waiting, accept=True)
            assert booking(queued).status == domain.CONFIRMED and open_tasks(queued) == ["check_in"]
            services.check_in(queued, waiting)
            assert booking(queued).status == domain.IN_USE
    account = db.session.get(BookingCredit, late)
    assert account.no_shows == 3 and account.suspended_until is not None
    kinds = list(db.session.execute(select(CreditEvent.kind).where(CreditEvent.user_id == late)
                                    .order_by(CreditEvent.id)).scalars())
    assert kinds == ["no_show", "no_show", "no_show", "suspended"] and policy.no_show_penalty * 3 > 100 - policy.threshold
    try:
        services.book(late, resource.id, next_slot(days=3, hour=9), "再约")
        raise AssertionError("a suspended person booked")
    except services.BookingError as err:
        assert err.code == "suspended"
    assert "booking.suspended" in _kinds(late)
    credit.lift(late, staff, "已说明情况：生病就医")
    services.book(late, resource.id, next_slot(days=3, hour=9), "再约")
    assert "booking.lifted" in _kinds(late)
