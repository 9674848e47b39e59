"""The on-site queue's verbs: check in, call next, start, finish (with the outcome), no-show, leave.

Each one is fast in Redis (app/interviews/queue_store.py: one atomic script decides the place or who is
called) and written through to the database in one unit of work (the ticket's row, changed only by a
conditional UPDATE, and a QueueEvent row per transition), then tells the screens (live events after the
commit: the hall's board, the booth's console, the student's phone). The rules are queue_rules.py.

When Redis lost the fair's copy, a script says so and the fair is rebuilt from the rows (`rebuild`); when
the copy was rebuilt while a verb worked, the verb makes Redis agree with its committed row again
(`_reconcile`). A Redis outage fails the verb with QueueUnavailable, nothing half-written.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.interviews import domain, invitations, notices, offers, queue_store
from app.interviews import queue_rules as rules
from app.interviews.models import Booth, FairHall, FairRegistration, Invitation, JobFair, QueueEvent, QueueTicket
from app.identity.models import Employer
from app.notifications import notify
from app.notifications.links import path_for
from app.platform import live
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work

log = logging.getLogger(__name__)
TICKET = QueueTicket.__table__
EVENT = QueueEvent.__table__
T = TypeVar("T")


class QueueError(Exception):
    """A refused queue action; the message (translated when shown) is for the person who acted."""


class QueueUnavailable(QueueError):
    """Redis cannot be reached: nothing was changed."""


class NotFound(QueueError):
    pass


# -- facts ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoothFacts:
    booth_id: int
    code: str
    fair_id: int
    hall_id: int
    hall_code: str
    hall_name: str
    employer_id: int | None
    employer_name: str | None
    fair_title: str
    fair_status: str
    starts_at: datetime
    ends_at: datetime
    times: rules.QueueTimes

    @property
    def board_channel(self) -> str:
        return board_channel(self.fair_id, self.hall_id)

    @property
    def console_channel(self) -> str:
        return console_channel(self.booth_id)


def board_channel(fair_id: int, hall_id: int) -> str:
    return f"board:{fair_id}-{hall_id}"


def console_channel(booth_id: int) -> str:
    return f"booth:{booth_id}"


def booth_facts(booth_id: int) -> BoothFacts:
    row = db.session.execute(
        select(Booth.id, Booth.code, Booth.fair_id, Booth.hall_id, FairHall.code.label("hall_code"),
               FairHall.name.label("hall_name"), Booth.employer_id, Employer.name.label("employer_name"),
               JobFair.title, JobFair.status, JobFair.starts_at, JobFair.ends_at, JobFair.no_show_minutes,
               JobFair.pause_minutes)
        .join(FairHall, FairHall.id == Booth.hall_id).join(JobFair, JobFair.id == Booth.fair_id)
        .outerjoin(Employer, Employer.id == Booth.employer_id).where(Booth.id == booth_id)).one_or_none()
    if row is None:
        raise NotFound(_l("There is no such booth."))
    return BoothFacts(row.id, row.code, row.fair_id, row.hall_id, row.hall_code, row.hall_name, row.employer_id,
                      row.employer_name, row.title, row.status, row.starts_at, row.ends_at,
                      rules.QueueTimes(row.no_show_minutes, row.pause_minutes))


@dataclass(frozen=True)
class TicketView:
    id: int
    booth_id: int
    booth_code: str
    number: int
    status: str
    invited: bool
    position: int | None = None

    @property
    def label(self) -> str:
        return rules.ticket_label(self.booth_code, self.number)


def _ticket_row(ticket_id: int):
    row = db.session.execute(select(TICKET).where(TICKET.c.id == ticket_id)).one_or_none()
    if row is None:
        raise NotFound(_l("There is no such ticket."))
    return row


# -- Redis: loss and reconciliation ----------------------------------------------------------------------------

def _redis(step: Callable[[], T], fair_id: int, now: datetime) -> T:
    """Run a queue script; rebuild the fair first when Redis lost it. Redis down: QueueUnavailable."""
    try:
        try:
            return step()
        except queue_store.StateLost:
            rebuild(fair_id, now)
            return step()
    except queue_store.StateLost:
        raise QueueUnavailable(_l("The queue is being restored. Please try again in a moment.")) from None
    except RedisError as err:
        log.warning("queue of fair %s: Redis unavailable: %s", fair_id, err)
        raise QueueUnavailable(_l("The queue cannot be reached right now. Please try again in a moment.")) from None


def rebuild(fair_id: int, now: datetime | None = None) -> str:
    """Make the fair's Redis copy again from its ticket rows (after Redis lost it)."""
    now = now or utcnow()
    fair = db.session.get(JobFair, fair_id)
    if fair is None:
        raise NotFound(_l("There is no such fair."))
    booth_ids = list(db.session.execute(select(Booth.id).where(Booth.fair_id == fair_id)).scalars())
    tickets = [queue_store.TicketRow(r.booth_id, r.student_id, r.number, r.order_key, r.status, r.called_at,
                                     r.started_at, r.finished_at)
               for r in db.session.execute(select(TICKET).where(TICKET.c.fair_id == fair_id))]
    epoch = queue_store.rebuild(fair_id, booth_ids, tickets, rules.QueueTimes(fair.no_show_minutes,
                                                                               fair.pause_minutes), now)
    log.info("queue of fair %s rebuilt from %s tickets", fair_id, len(tickets))
    return epoch


def _reconcile(facts: BoothFacts, student_id: int, now: datetime, interview_s: int | None = None) -> None:
    """Make Redis say what the student's active ticket row at this booth says (none: not queued here)."""
    row = db.session.execute(select(TICKET).where(
        TICKET.c.booth_id == facts.booth_id, TICKET.c.student_id == student_id,
        TICKET.c.status.in_(rules.ACTIVE))).one_or_none()
    if row is None:
        queue_store.set_state(facts.fair_id, facts.booth_id, student_id, 0, None, interview_s=interview_s)
    elif row.status == rules.WAITING:
        queue_store.set_state(facts.fair_id, facts.booth_id, student_id, row.number, None, waiting_key=row.order_key)
    else:
        since, length = ((row.called_at, rules.call_pause_ms(facts.times)) if row.status == rules.CALLED
                         else (row.started_at, rules.interview_pause_ms(facts.times)))
        left = int(length - (now - (since or now)).total_seconds() * 1000)
        queue_store.set_state(facts.fair_id, facts.booth_id, student_id, row.number, row.status, max(left, 1))


def _after_commit_check(facts: BoothFacts, epoch: str, student_id: int, now: datetime,
                        interview_s: int | None = None) -> None:
    """The copy was rebuilt while we worked (our committed row may be missing or stale there): re-apply."""
    try:
        if queue_store.current_epoch(facts.fair_id) != epoch:
            _reconcile(facts, student_id, now, interview_s)
    except RedisError:
        log.warning("queue of fair %s: could not re-check after a change", facts.fair_id, exc_info=True)


def _event(ticket_id: int, facts: BoothFacts, kind: str, at: datetime, actor_id: int | None,
           data: dict | None = None) -> None:
    db.session.execute(insert(EVENT).values(ticket_id=ticket_id, fair_id=facts.fair_id, booth_id=facts.booth_id,
                                            kind=kind, at=at, actor_id=actor_id, data=data))


def announce(facts: BoothFacts) -> dict | None:
    """Tell the hall's board and the booth's console what the booth shows now (after the change committed)."""
    try:
        snap = queue_store.snapshot(facts.fair_id, facts.booth_id)
    except RedisError:
        log.warning("queue of fair %s: no snapshot for booth %s", facts.fair_id, facts.booth_id, exc_info=True)
        return None
    event = snap.as_event(facts.booth_id, facts.code)
    live.publish(facts.board_channel, "booth", event)
    live.publish(facts.console_channel, "queue", event)
    return {"event": event, "next_students": snap.next_students}


# -- check in ---------------------------------------------------------------------------------------------------

_RETRY = object()


def check_in(student_id: int, booth_id: int, via: str, actor_id: int | None = None,
             now: datetime | None = None, facts: BoothFacts | None = None) -> TicketView:
    """The student joins the booth's queue (scanning its QR code, or at a kiosk by staff = `actor_id`).
    Checking in twice gives the same ticket. Students not yet registered for the fair are registered.
    `facts`: the booth as the caller just read it (read again under the check-in's own transaction)."""
    if via not in rules.CHECK_IN_CHANNELS:
        raise QueueError(_l("Unknown check-in channel."))
    now = now or utcnow()
    facts = facts if facts is not None and facts.booth_id == booth_id else booth_facts(booth_id)
    _check_open(facts, now)
    db.session.rollback()  # the facts read must not hold a transaction (SQLite) while the registration commits
    _ensure_registered(facts.fair_id, student_id, now)
    for _attempt in range(3):
        result, facts = _check_in_once(student_id, booth_id, via, actor_id, now)
        if result is _RETRY:
            _forget_place(facts, student_id, now)
            continue
        if result.position is not None:  # placed now, not found placed before
            announce(facts)
        return result
    raise QueueUnavailable(_l("The queue is busy. Please try again."))


def _check_open(facts: BoothFacts, now: datetime) -> None:
    if facts.employer_id is None:
        raise QueueError(_l("No employer is at this booth."))
    if not domain.check_in_open(facts.fair_status, facts.starts_at, facts.ends_at, now):
        raise QueueError(_l("Check-in for this fair is not open now."))


def _ensure_registered(fair_id: int, student_id: int, now: datetime) -> None:
    """Register a student checking in unregistered, in a short transaction of its own: the fair's seat counter
    is one row that every first check-in updates, and holding its lock through a whole check-in (Redis, the
    ticket, the event) would line the opening burst up behind it."""
    try:
        with unit_of_work() as uow:
            if register_student(fair_id, student_id, now):
                uow.commit()
    except IntegrityError:  # registered at this moment by his own check-in at another booth
        pass


def _check_in_once(student_id: int, booth_id: int, via: str, actor_id: int | None, now: datetime):
    with unit_of_work() as uow:
        facts = booth_facts(booth_id)
        _check_open(facts, now)
        try:
            _register_locked(facts, student_id, now)
        except IntegrityError:  # registered by his own check-in at another booth, at the same moment
            return _RETRY, facts
        existing = uow.execute(select(TICKET).where(
            TICKET.c.booth_id == booth_id, TICKET.c.student_id == student_id,
            TICKET.c.status.in_(rules.ACTIVE))).one_or_none()
        if existing is not None:
            return TicketView(existing.id, booth_id, facts.code, existing.number, existing.status,
                              existing.invited), facts
        invitation_id = uow.execute(select(Invitation.id).where(
            Invitation.student_id == student_id, Invitation.booth_id == booth_id,
            Invitation.place_kind == domain.PLACE_BOOTH, Invitation.status == domain.ACCEPTED)
            .order_by(Invitation.id.desc()).limit(1)).scalar()
        invited = invitation_id is not None
        placed = _redis(lambda: queue_store.place(facts.fair_id, booth_id, student_id, rules.priority_class(invited)),
                        facts.fair_id, now)
        if not placed.new:  # waiting in Redis without a row (a crash before its insert): drop it, place again
            return _RETRY, facts
        try:
            ticket_id = uow.execute(insert(TICKET).values(
                fair_id=facts.fair_id, booth_id=booth_id, student_id=student_id, number=placed.number,
                order_key=placed.order_key, invited=invited, invitation_id=invitation_id, status=rules.WAITING,
                requeues=0, via=via, checked_in_at=now).returning(TICKET.c.id)).scalar_one()
        except IntegrityError:  # a number given twice just after a rebuild: undo our place, take another
            return _RETRY, facts
        try:
            _event(ticket_id, facts, rules.CHECKED_IN, now, actor_id or student_id,
                   {"via": via, "number": placed.number, "invited": invited})
            live.publish(live.user_channel(student_id), "queue.changed",
                         {"booth": facts.code, "ticket": ticket_id, "status": rules.WAITING})
            uow.commit()
        except BaseException:
            uow.rollback()
            _forget_place(facts, student_id, now)
            raise
    _after_commit_check(facts, placed.epoch, student_id, now)
    return TicketView(ticket_id, booth_id, facts.code, placed.number, rules.WAITING, invited, placed.position), facts


def _forget_place(facts: BoothFacts, student_id: int, now: datetime) -> None:
    try:
        _reconcile(facts, student_id, now)
    except RedisError:
        log.warning("queue of fair %s: place of student %s left in Redis", facts.fair_id, student_id, exc_info=True)


def _register_locked(facts: BoothFacts, student_id: int, now: datetime) -> None:
    """Lock the student's registration for the fair (one check-in of his at a time), registering him first
    if he still has not (within the fair's capacity; normally done just before, by _ensure_registered)."""
    found = db.session.execute(select(FairRegistration.id).where(
        FairRegistration.fair_id == facts.fair_id, FairRegistration.student_id == student_id)
        .with_for_update()).scalar()
    if found is None:
        register_student(facts.fair_id, student_id, now)


def register_student(fair_id: int, student_id: int, now: datetime) -> bool:
    """Register a student for a fair in the caller's transaction, within its capacity; False if he was."""
    if db.session.execute(select(FairRegistration.id).where(
            FairRegistration.fair_id == fair_id, FairRegistration.student_id == student_id)).scalar() is not None:
        return False
    seat = db.session.execute(update(JobFair).where(JobFair.id == fair_id, JobFair.registered < JobFair.capacity)
                              .values(registered=JobFair.registered + 1))
    if seat.rowcount != 1:
        raise QueueError(_l("The fair is full."))
    db.session.execute(insert(FairRegistration.__table__).values(fair_id=fair_id, student_id=student_id,
                                                                 registered_at=now))
    return True


# -- call next ------------------------------------------------------------------------------------------------------

def call_next(booth_id: int, actor_id: int, now: datetime | None = None) -> TicketView | None:
    """Call the first student this booth may call (invited before walk-ins, then by arrival; students called
    at another booth are passed over while held there). None: nobody to call. Two consoles calling at once
    never get the same student: Redis pops each student once, and his row changes only from waiting."""
    now = now or utcnow()
    facts = booth_facts(booth_id)
    db.session.rollback()  # the facts read must not hold a transaction (SQLite) while Redis works
    if facts.employer_id is None or facts.fair_status != domain.FAIR_OPEN:
        raise QueueError(_l("This booth is not taking students now."))
    hold_ms = rules.call_pause_ms(facts.times)
    for _attempt in range(50):
        called = _redis(lambda: queue_store.pop_next(facts.fair_id, booth_id, hold_ms), facts.fair_id, now)
        if called.student_id is None:
            announce(facts)
            return None
        student_id = called.student_id
        try:
            with unit_of_work() as uow:
                row = uow.execute(update(TICKET).where(
                    TICKET.c.booth_id == booth_id, TICKET.c.student_id == student_id,
                    TICKET.c.status == rules.WAITING).values(status=rules.CALLED, called_at=now, called_by=actor_id)
                    .returning(TICKET.c.id, TICKET.c.number, TICKET.c.invited, TICKET.c.requeues)).one_or_none()
                if row is not None:
                    _event(row.id, facts, rules.CALL, now, actor_id, {"number": row.number})
                    _tell_called(facts, student_id, row.id, row.number, row.requeues)
                    uow.commit()
        except BaseException:
            _forget_place(facts, student_id, now)  # back to what its row says: waiting
            raise
        if row is None:  # no waiting ticket behind this entry (left meanwhile, or stale): make Redis agree
            _forget_place(facts, student_id, now)
            continue
        _after_commit_check(facts, called.epoch, student_id, now)
        shown = announce(facts)
        if shown and shown["next_students"]:
            _tell_next(facts, shown["next_students"][0])
        return TicketView(row.id, booth_id, facts.code, row.number, rules.CALLED, row.invited)
    return None


def _tell_called(facts: BoothFacts, student_id: int, ticket_id: int, number: int, requeues: int) -> None:
    params = {"booth": facts.code, "hall": facts.hall_name, "employer": facts.employer_name or "",
              "number": rules.display_number(number), "minutes": facts.times.no_show_minutes}
    link = path_for("fairs.my_queue", fair_id=facts.fair_id)
    notify([student_id], notices.CALLED.name, params=params, link=link, key=f"ticket:{ticket_id}:called:{requeues}")
    live.publish(live.user_channel(student_id), "queue.called",
                 {**params, "ticket": ticket_id, "fair": facts.fair_id})


def _tell_next(facts: BoothFacts, student_id: int) -> None:
    """In-app "you are next", once per ticket."""
    try:
        with unit_of_work() as uow:
            row = uow.execute(select(TICKET.c.id, TICKET.c.number, TICKET.c.requeues).where(
                TICKET.c.booth_id == facts.booth_id, TICKET.c.student_id == student_id,
                TICKET.c.status == rules.WAITING)).one_or_none()
            if row is not None:
                notify([student_id], notices.NEXT_IN_LINE.name,
                       params={"booth": facts.code, "employer": facts.employer_name or "",
                               "number": rules.display_number(row.number)},
                       link=path_for("fairs.my_queue", fair_id=facts.fair_id),
                       key=f"ticket:{row.id}:next:{row.requeues}")
            uow.commit()
    except Exception:  # noqa: BLE001 - a courtesy; the call itself is done
        log.warning("queue: 'you are next' not recorded for student %s", student_id, exc_info=True)


# -- the other transitions -----------------------------------------------------------------------------------------------

def _transition(facts: BoothFacts, ticket_id: int, allowed_from: tuple[str, ...], values: dict, kind: str,
                actor_id: int | None, now: datetime, data: dict | None = None):
    """Change a ticket of this booth from one of `allowed_from`, with its history row; the changed row."""
    booth_id = facts.booth_id
    row = db.session.execute(update(TICKET).where(
        TICKET.c.id == ticket_id, TICKET.c.booth_id == booth_id, TICKET.c.status.in_(allowed_from))
        .values(**values).returning(*TICKET.c)).one_or_none()
    if row is None:
        current = db.session.execute(select(TICKET.c.status).where(
            TICKET.c.id == ticket_id, TICKET.c.booth_id == booth_id)).scalar()
        if current is None:
            raise NotFound(_l("There is no such ticket."))
        raise QueueError(_l("This ticket has moved on meanwhile (now: %(status)s).", status=current))
    _event(ticket_id, facts, kind, now, actor_id, data)
    return row


def start(ticket_id: int, booth_id: int, actor_id: int, now: datetime | None = None) -> None:
    """The called student is at the booth: the interview begins (he stays held at other booths until it ends)."""
    now = now or utcnow()
    with unit_of_work() as uow:
        facts = booth_facts(booth_id)
        row = _transition(facts, ticket_id, (rules.CALLED,), {"status": rules.IN_INTERVIEW, "started_at": now},
                          rules.STARTED, actor_id, now)
        live.publish(live.user_channel(row.student_id), "queue.changed",
                     {"booth": facts.code, "ticket": ticket_id, "status": rules.IN_INTERVIEW})
        uow.commit()
    _apply(facts, row.student_id, now)


def finish(ticket_id: int, booth_id: int, actor_id: int, outcome: str, note: str = "",
           offer: offers.OfferRequest | None = None, now: datetime | None = None,
           remote_addr: str | None = None) -> int | None:
    """The interview ended with `outcome` (next round, offer, reject). An invited student's outcome is the
    invitation's (its process records it and makes the offer); a walk-in's offer is made here, in the same
    transaction. Returns the agreement id of an offer made here."""
    if outcome not in domain.OUTCOMES:
        raise QueueError(_l("Choose the outcome of the interview."))
    if outcome == domain.OUTCOME_OFFER and offer is None:
        raise QueueError(_l("Choose the position and the monthly pay of the offer."))
    now = now or utcnow()
    agreement_id = None
    with unit_of_work() as uow:
        facts = booth_facts(booth_id)
        row = _transition(facts, ticket_id, (rules.IN_INTERVIEW,),
                          {"status": rules.DONE, "finished_at": now, "outcome": outcome}, rules.FINISHED, actor_id,
                          now, {"outcome": outcome})
        recorded = False
        if row.invitation_id is not None:
            recorded = invitations.outcome_at_booth(row.invitation_id, actor_id, outcome, note, offer)
        if not recorded and outcome == domain.OUTCOME_OFFER:
            try:
                agreement_id = offers.make_offer(actor_id, row.student_id, offer, facts.employer_id,
                                                 origin={"path": path_for("fairs.ticket", ticket_id=ticket_id)},
                                                 remote_addr=remote_addr, key=f"ticket:{ticket_id}:offer")
            except offers.OfferError as err:
                raise QueueError(str(err)) from None
            uow.execute(update(TICKET).where(TICKET.c.id == ticket_id).values(agreement_id=agreement_id))
        elif not recorded:
            offers.tell_outcome(row.student_id, facts.employer_id, outcome, offer.position_id if offer else None,
                                note, key=f"ticket:{ticket_id}:outcome")
        live.publish(live.user_channel(row.student_id), "queue.changed",
                     {"booth": facts.code, "ticket": ticket_id, "status": rules.DONE, "outcome": outcome})
        uow.commit()
    length = int((now - (row.started_at or now)).total_seconds())
    _apply(facts, row.student_id, now, interview_s=length)
    return agreement_id


def mark_no_show(ticket_id: int, booth_id: int, actor_id: int | None, now: datetime | None = None) -> str:
    """The called student did not come within the fair's minutes: back to the end of the queue the first
    time, else no-show. Returns the ticket's new state."""
    now = now or utcnow()
    facts = booth_facts(booth_id)
    row = _ticket_row(ticket_id)
    if row.booth_id != booth_id:
        raise NotFound(_l("There is no such ticket."))
    if row.status != rules.CALLED:
        raise QueueError(_l("Only a called student can be marked as not there."))
    if not rules.may_mark_no_show(row.called_at, now, facts.times):
        raise QueueError(_l("The student still has time to come (%(minutes)s minutes after the call).",
                            minutes=facts.times.no_show_minutes))
    db.session.rollback()
    target = rules.after_no_show(row.requeues)
    new_key = None
    if target == rules.WAITING:
        _epoch, new_key = _redis(lambda: queue_store.requeue_at_end(facts.fair_id, booth_id, row.student_id),
                                facts.fair_id, now)
    try:
        with unit_of_work() as uow:
            values = ({"status": rules.WAITING, "order_key": new_key, "requeues": row.requeues + 1, "called_at": None,
                       "called_by": None} if target == rules.WAITING else {"status": rules.NO_SHOW})
            _transition(facts, ticket_id, (rules.CALLED,), values, rules.MISSED, actor_id, now,
                        {"automatic": actor_id is None})
            params = {"booth": facts.code, "employer": facts.employer_name or "",
                      "number": rules.display_number(row.number)}
            link = path_for("fairs.my_queue", fair_id=facts.fair_id)
            if target == rules.WAITING:
                _event(ticket_id, facts, rules.REQUEUED, now, actor_id, {"order_key": new_key})
                notify([row.student_id], notices.REQUEUED.name, params=params, link=link,
                       key=f"ticket:{ticket_id}:requeued")
            else:
                notify([row.student_id], notices.MISSED.name, params=params, link=link,
                       key=f"ticket:{ticket_id}:no_show")
            live.publish(live.user_channel(row.student_id), "queue.changed",
                         {"booth": facts.code, "ticket": ticket_id, "status": target})
            uow.commit()
    except BaseException:
        _forget_place(facts, row.student_id, now)
        raise
    _apply(facts, row.student_id, now)
    return target


def leave(ticket_id: int, actor_id: int, now: datetime | None = None, booth_id: int | None = None) -> None:
    """The student leaves a queue (or staff take him out of it)."""
    now = now or utcnow()
    row = _ticket_row(ticket_id)
    if booth_id is not None and row.booth_id != booth_id:
        raise NotFound(_l("There is no such ticket."))
    db.session.rollback()
    with unit_of_work() as uow:
        facts = booth_facts(row.booth_id)
        _transition(facts, ticket_id, (rules.WAITING, rules.CALLED), {"status": rules.LEFT}, rules.LEAVE,
                    actor_id, now)
        live.publish(live.user_channel(row.student_id), "queue.changed",
                     {"booth": facts.code, "ticket": ticket_id, "status": rules.LEFT})
        uow.commit()
    _apply(facts, row.student_id, now)


def _apply(facts: BoothFacts, student_id: int, now: datetime, interview_s: int | None = None) -> None:
    """After a committed transition: Redis follows the row; the screens are told."""
    try:
        _reconcile(facts, student_id, now, interview_s)
    except RedisError:
        log.warning("queue of fair %s: Redis not updated after a change; it follows on the next rebuild",
                    facts.fair_id, exc_info=True)
    announce(facts)


def expire_calls(now: datetime | None = None, fair_id: int | None = None) -> int:
    """Called students who did not come within their fair's minutes: no-show (the periodic job; all open
    fairs, or one). Returns how many were marked."""
    now = now or utcnow()
    query = (select(TICKET.c.id, TICKET.c.booth_id, TICKET.c.called_at, JobFair.no_show_minutes)
             .join(JobFair, JobFair.id == TICKET.c.fair_id)
             .where(TICKET.c.status == rules.CALLED, JobFair.status == domain.FAIR_OPEN))
    if fair_id is not None:
        query = query.where(TICKET.c.fair_id == fair_id)
    rows = db.session.execute(query).all()
    db.session.rollback()
    marked = 0
    for row in rows:
        if not rules.may_mark_no_show(row.called_at, now, rules.QueueTimes(row.no_show_minutes)):
            continue
        try:
            mark_no_show(row.id, row.booth_id, None, now)
            marked += 1
        except QueueError:
            pass  # started or left meanwhile
        finally:
            db.session.rollback()
    return marked

