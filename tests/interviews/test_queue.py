"""The on-site queue through its services, on real Redis and both databases: every rule as the booths and
students live it, and what is written through to the database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from app.interviews import domain, queue_services, queue_store
from app.interviews import queue_rules as rules
from app.interviews.models import FairRegistration, Invitation, QueueEvent, QueueTicket
from app.notifications.models import Notification
from app.platform.extensions import db
from tests.interviews.conftest import make_fair

QR = rules.VIA_QR


def tickets(booth_id: int) -> list[QueueTicket]:
    db.session.rollback()
    return list(db.session.execute(select(QueueTicket).where(QueueTicket.booth_id == booth_id)
                                   .order_by(QueueTicket.id)).scalars())


def events(ticket_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(QueueEvent.kind).where(QueueEvent.ticket_id == ticket_id)
                                   .order_by(QueueEvent.id)).scalars())


def waiting_order(fair_id: int, booth_id: int) -> list[int]:
    """Student ids waiting in Redis, in queue order."""
    from app.platform.queue import redis_connection

    return [int(s) for s in redis_connection().zrange(queue_store.keys(fair_id).booth(booth_id, "w"), 0, -1)]


def test_check_in_gives_numbers_and_places_registers_and_writes_through(ctx):
    fair = make_fair(booths=1, students=3)
    booth = fair.booths[0]
    first = queue_services.check_in(fair.students[0], booth, QR)
    second = queue_services.check_in(fair.students[1], booth, QR)
    assert (first.number, first.position, second.number, second.position) == (1, 1, 2, 2)
    again = queue_services.check_in(fair.students[0], booth, QR)  # the same scan twice: the same ticket
    assert again.id == first.id and again.number == 1
    rows = tickets(booth)
    assert [(t.student_id, t.number, t.status, t.via) for t in rows] == [
        (fair.students[0], 1, rules.WAITING, QR), (fair.students[1], 2, rules.WAITING, QR)]
    assert events(first.id) == [rules.CHECKED_IN]
    registered = db.session.execute(select(FairRegistration.student_id).where(
        FairRegistration.fair_id == fair.id)).scalars().all()
    assert sorted(registered) == sorted(fair.students[:2])
    assert waiting_order(fair.id, booth) == fair.students[:2]


def test_call_next_takes_invited_students_first_then_by_arrival(ctx):
    fair = make_fair(booths=1, students=4)
    booth = fair.booths[0]
    walk_a, walk_b, invited, walk_c = fair.students
    _accepted_invitation(fair, invited, booth)
    for student in (walk_a, walk_b, invited, walk_c):
        queue_services.check_in(student, booth, QR)
    assert waiting_order(fair.id, booth) == [invited, walk_a, walk_b, walk_c]
    called = [queue_services.call_next(booth, fair.recruiters[0]) for _ in range(4)]
    assert [tickets_by_id(c.id).student_id for c in called] == [invited, walk_a, walk_b, walk_c]
    assert called[0].invited and not called[1].invited
    assert queue_services.call_next(booth, fair.recruiters[0]) is None  # nobody left


def tickets_by_id(ticket_id: int) -> QueueTicket:
    db.session.rollback()
    return db.session.get(QueueTicket, ticket_id)


def _accepted_invitation(fair, student_id: int, booth_id: int) -> int:
    now = datetime.now(timezone.utc)
    from app.interviews.models import Position

    position = Position(employer_id=fair.employers[0], title="测试岗位", description="-", degree="本科", city="上海",
                        work_location="上海", pay_min=8000, pay_max=12000, headcount=1, probation_months=3,
                        contract_years=3, breach_terms="无", other_clauses="无", archive_address="上海",
                        hukou_transfer=False, status=domain.PUBLISHED, created_by=fair.recruiters[0], flags=[])
    db.session.add(position)
    db.session.flush()
    invitation = Invitation(employer_id=fair.employers[0], student_id=student_id, position_id=position.id,
                            status=domain.ACCEPTED, slot_start=now, slot_end=now + timedelta(hours=1),
                            place_kind=domain.PLACE_BOOTH, booth_id=booth_id, expires_at=now,
                            created_by=fair.recruiters[0])
    db.session.add(invitation)
    db.session.commit()
    return invitation.id


def test_the_whole_interview_is_written_through_and_told(ctx):
    fair = make_fair(booths=1, students=2)
    booth, student = fair.booths[0], fair.students[0]
    ticket = queue_services.check_in(student, booth, QR)
    queue_services.check_in(fair.students[1], booth, QR)
    now = datetime.now(timezone.utc)
    called = queue_services.call_next(booth, fair.recruiters[0], now=now)
    assert called.id == ticket.id
    row = tickets_by_id(ticket.id)
    assert (row.status, row.called_by) == (rules.CALLED, fair.recruiters[0])
    told = db.session.execute(select(Notification.kind).where(Notification.user_id == student)).scalars().all()
    assert "queue.called" in told
    # the next in line heard that he is next
    assert "queue.next" in db.session.execute(select(Notification.kind).where(
        Notification.user_id == fair.students[1])).scalars().all()
    snap = queue_store.snapshot(fair.id, booth)
    assert snap.current == [(1, rules.CALLED)] and snap.next_numbers == [2] and snap.waiting == 1
    queue_services.start(ticket.id, booth, fair.recruiters[0], now=now + timedelta(minutes=1))
    assert queue_store.snapshot(fair.id, booth).current == [(1, rules.IN_INTERVIEW)]
    queue_services.finish(ticket.id, booth, fair.recruiters[0], domain.OUTCOME_REJECT, "谢谢参加",
                          now=now + timedelta(minutes=9))
    row = tickets_by_id(ticket.id)
    assert (row.status, row.outcome) == (rules.DONE, domain.OUTCOME_REJECT)
    assert events(ticket.id) == [rules.CHECKED_IN, rules.CALL, rules.STARTED, rules.FINISHED]
    assert queue_store.snapshot(fair.id, booth).current == []
    # the interview's 8 minutes now feed the estimate of the one still waiting (position 1)
    standing = queue_store.standings(fair.id, fair.students[1], [booth])[booth]
    assert standing.position == 1 and standing.recent_lengths == [480.0]
    assert rules.estimated_wait_s(standing.position, standing.recent_lengths) == 480
    with pytest.raises(queue_services.QueueError):
        queue_services.start(ticket.id, booth, fair.recruiters[0])  # done: moved on


def test_no_show_requeues_once_at_the_end_then_ends(ctx):
    fair = make_fair(booths=1, students=3, no_show_minutes=3)
    booth = fair.booths[0]
    late, other, third = fair.students
    ticket = queue_services.check_in(late, booth, QR)
    queue_services.check_in(other, booth, QR)
    now = datetime.now(timezone.utc)
    queue_services.call_next(booth, fair.recruiters[0], now=now)
    with pytest.raises(queue_services.QueueError):  # still has time to come
        queue_services.mark_no_show(ticket.id, booth, fair.recruiters[0], now=now + timedelta(minutes=2))
    queue_services.check_in(third, booth, QR)  # arrives while he is called
    state = queue_services.mark_no_show(ticket.id, booth, fair.recruiters[0], now=now + timedelta(minutes=3))
    assert state == rules.WAITING
    assert waiting_order(fair.id, booth) == [other, third, late]  # at the end, after those already waiting
    row = tickets_by_id(ticket.id)
    assert (row.status, row.requeues, row.number) == (rules.WAITING, 1, 1)
    assert events(ticket.id)[-2:] == [rules.MISSED, rules.REQUEUED]
    # the second time he misses his call, the ticket ends (automatically, by the periodic job)
    for _ in range(3):
        queue_services.call_next(booth, fair.recruiters[0], now=now + timedelta(minutes=4))
    assert tickets_by_id(ticket.id).status == rules.CALLED
    assert queue_services.expire_calls(now=now + timedelta(minutes=8), fair_id=fair.id) == 3  # all three called ones
    assert tickets_by_id(ticket.id).status == rules.NO_SHOW
    assert waiting_order(fair.id, booth) == [other, third]  # the other two came back once
    kinds = db.session.execute(select(Notification.kind).where(Notification.user_id == late)).scalars().all()
    assert "queue.requeued" in kinds and "queue.no_show" in kinds


def test_a_student_called_at_one_booth_is_held_at_the_others(ctx):
    fair = make_fair(booths=2, students=2, pause_minutes=5)
    booth_a, booth_b = fair.booths
    busy, free = fair.students
    queue_services.check_in(busy, booth_a, QR)
    queue_services.check_in(busy, booth_b, QR)
    queue_services.check_in(free, booth_b, QR)
    queue_services.call_next(booth_a, fair.recruiters[0])
    # booth B passes over him (he keeps his place) and calls the next one
    called = queue_services.call_next(booth_b, fair.recruiters[1])
    assert tickets_by_id(called.id).student_id == free
    assert waiting_order(fair.id, booth_b) == [busy]
    assert queue_services.call_next(booth_b, fair.recruiters[1]) is None  # held: nobody else to call
    standing = queue_store.standings(fair.id, busy, [booth_b])[booth_b]
    assert standing.position == 1 and standing.held_by == booth_a
    # his interview at A ends: B may call him again
    ticket_a = tickets(booth_a)[0]
    queue_services.start(ticket_a.id, booth_a, fair.recruiters[0])
    assert queue_services.call_next(booth_b, fair.recruiters[1]) is None  # still held while interviewed
    queue_services.finish(ticket_a.id, booth_a, fair.recruiters[0], domain.OUTCOME_NEXT_ROUND)
    again = queue_services.call_next(booth_b, fair.recruiters[1])
    assert again is not None and tickets_by_id(again.id).student_id == busy


def test_the_hold_ends_by_itself_after_the_set_time(ctx, monkeypatch):
    fair = make_fair(booths=2, students=1)
    booth_a, booth_b = fair.booths
    student = fair.students[0]
    queue_services.check_in(student, booth_a, QR)
    queue_services.check_in(student, booth_b, QR)
    times = rules.QueueTimes(no_show_minutes=3, pause_minutes=5)
    monkeypatch.setattr(rules, "call_pause_ms", lambda _times: 300)  # a hold of 0.3 s instead of minutes
    queue_services.call_next(booth_a, fair.recruiters[0])
    assert queue_services.call_next(booth_b, fair.recruiters[1]) is None
    import time

    time.sleep(0.4)
    assert queue_services.call_next(booth_b, fair.recruiters[1]) is not None
    assert rules.call_pause_ms(times) == 300


def test_leaving_the_queue_and_refusals(ctx):
    fair = make_fair(booths=1, students=2)
    booth = fair.booths[0]
    ticket = queue_services.check_in(fair.students[0], booth, QR)
    queue_services.check_in(fair.students[1], booth, QR)
    queue_services.leave(ticket.id, fair.students[0])
    assert tickets_by_id(ticket.id).status == rules.LEFT
    assert waiting_order(fair.id, booth) == [fair.students[1]]
    with pytest.raises(queue_services.QueueError):
        queue_services.leave(ticket.id, fair.students[0])
    # checking in again after leaving: a new ticket, a new number at the end
    back = queue_services.check_in(fair.students[0], booth, QR)
    assert back.id != ticket.id and back.number == 3 and back.position == 2
    with pytest.raises(queue_services.QueueError):
        queue_services.check_in(fair.students[0], booth, "telepathy")
    with pytest.raises(queue_services.NotFound):
        queue_services.check_in(fair.students[0], 2**31 - 1, QR)


def test_check_in_is_closed_outside_the_fair(ctx):
    fair = make_fair(booths=1, students=1, starts=datetime.now(timezone.utc) + timedelta(hours=3))
    with pytest.raises(queue_services.QueueError) as err:
        queue_services.check_in(fair.students[0], fair.booths[0], QR)
    assert "not open" in str(err.value) or "未开放" in str(err.value)
    assert tickets(fair.booths[0]) == []


def test_a_lost_copy_is_rebuilt_from_the_rows_with_the_same_order(ctx):
    fair = make_fair(booths=2, students=6)
    booth_a, booth_b = fair.booths
    s = fair.students
    for student in s[:5]:
        queue_services.check_in(student, booth_a, QR)
    queue_services.check_in(s[0], booth_b, QR)
    queue_services.check_in(s[5], booth_b, QR)
    first = queue_services.call_next(booth_a, fair.recruiters[0])
    queue_services.start(first.id, booth_a, fair.recruiters[0])
    second = queue_services.call_next(booth_a, fair.recruiters[0])
    before = waiting_order(fair.id, booth_a)
    queue_store.forget(fair.id)  # everything of this fair in Redis is gone
    # the next action rebuilds it: same order, same held student, numbers continue
    third = queue_services.check_in(s[5], booth_a, QR)
    assert third.number == 6
    assert waiting_order(fair.id, booth_a) == [*before, s[5]]
    snap = queue_store.snapshot(fair.id, booth_a)
    assert sorted(snap.current) == [(1, rules.IN_INTERVIEW), (2, rules.CALLED)]
    # s[0] is in an interview at A: still held at B, where s[5] is called first
    called = queue_services.call_next(booth_b, fair.recruiters[1])
    assert tickets_by_id(called.id).student_id == s[5]
    assert tickets_by_id(second.id).status == rules.CALLED


def test_the_booth_qr_token_is_signed_names_its_booth_and_expires(ctx):
    from app.interviews import checkin_tokens

    ends = datetime.now(timezone.utc) + timedelta(hours=2)
    token = checkin_tokens.make(42, ends)
    assert checkin_tokens.read(token) == 42
    assert checkin_tokens.read(token, now=ends - timedelta(seconds=1)) == 42
    with pytest.raises(checkin_tokens.BadToken):
        checkin_tokens.read(token, now=ends + timedelta(seconds=1))  # after the fair's end
    signature = token.rpartition(".")[2]
    forged = checkin_tokens.make(43, ends).rpartition(".")[0] + "." + signature
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "", "x.y.z"):
        with pytest.raises(checkin_tokens.BadToken):
            checkin_tokens.read(bad)
    other_key = ctx.config["SECRET_KEY"]
    try:
        ctx.config["SECRET_KEY"] = "another installation"
        with pytest.raises(checkin_tokens.BadToken):
            checkin_tokens.read(token)
    finally:
        ctx.config["SECRET_KEY"] = other_key


def test_a_full_fair_turns_unregistered_students_away_and_writes_nothing(ctx):
    from app.interviews.models import JobFair

    fair = make_fair(booths=2, students=3)
    db.session.execute(update(JobFair).where(JobFair.id == fair.id).values(capacity=1))
    db.session.commit()
    first, second, _third = fair.students
    queue_services.check_in(first, fair.booths[0], QR)
    queue_services.check_in(first, fair.booths[1], QR)  # registered: his second queue takes no seat
    with pytest.raises(queue_services.QueueError):
        queue_services.check_in(second, fair.booths[0], QR)
    db.session.rollback()
    assert db.session.get(JobFair, fair.id).registered == 1
    assert [t.student_id for t in tickets(fair.booths[0])] == [first]
    assert waiting_order(fair.id, fair.booths[0]) == [first]
    assert db.session.execute(select(FairRegistration.student_id).where(
        FairRegistration.fair_id == fair.id)).scalars().all() == [first]
