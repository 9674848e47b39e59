"""The on-site queue's rules (现场排队叫号), in plain Python: ticket states and their transitions, the order of a
booth's queue, the one re-queue after a no-show, the pause of a student called at another booth, the
estimated wait, and the numbers shown on the boards.

No Redis, no database: app/interviews/queue_store.py keeps the fast copy of each queue in Redis (its Lua
scripts take the order keys and pause lengths computed here), app/interviews/queue_services.py writes every
ticket and transition to the database. Lifecycle of a ticket:

    waiting -> called -> in_interview -> done
       |         |-> no_show (not there within N minutes of the call; the first time: back to waiting, at the end)
       +---------+-> left (the student leaves the queue)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# -- ticket states: the one place their words are defined ---------------------------------------------------

WAITING = "waiting"
CALLED = "called"
IN_INTERVIEW = "in_interview"
DONE = "done"
NO_SHOW = "no_show"
LEFT = "left"

STATES = (WAITING, CALLED, IN_INTERVIEW, DONE, NO_SHOW, LEFT)
ACTIVE = (WAITING, CALLED, IN_INTERVIEW)  # a student holds at most one active ticket per booth
FINAL = (DONE, NO_SHOW, LEFT)
TRANSITIONS = {
    WAITING: {CALLED, LEFT},
    CALLED: {IN_INTERVIEW, NO_SHOW, WAITING, LEFT},  # WAITING: re-queued at the end after a first no-show
    IN_INTERVIEW: {DONE},
}

# What happened to a ticket (its history rows, queue_ticket_event.kind).
CHECKED_IN = "checked_in"
CALL = "called"
STARTED = "started"
FINISHED = "finished"
MISSED = "no_show"
REQUEUED = "requeued"
LEAVE = "left"
EVENTS = (CHECKED_IN, CALL, STARTED, FINISHED, MISSED, REQUEUED, LEAVE)

# How a student checked in.
VIA_QR = "qr"
VIA_KIOSK = "kiosk"
CHECK_IN_CHANNELS = (VIA_QR, VIA_KIOSK)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def is_active(state: str) -> bool:
    return state in ACTIVE


# -- order ----------------------------------------------------------------------------------------------

MAX_REQUEUES = 1
# An order key is <class> * ORDER_SPAN + <arrival>: invited students (an accepted invitation to this booth)
# come before walk-ins, then by arrival at this booth (a per-booth counter, so ties cannot happen). A re-queue
# takes a new arrival in the walk-in class: at the end of the queue as it is at that moment.
ORDER_SPAN = 10**12
INVITED_CLASS = 0
WALK_IN_CLASS = 1


def priority_class(invited: bool) -> int:
    return INVITED_CLASS if invited else WALK_IN_CLASS


def order_key(priority: int, arrival: int) -> int:
    if priority not in (INVITED_CLASS, WALK_IN_CLASS) or not 0 < arrival < ORDER_SPAN:
        raise ValueError(f"bad order key parts: {priority}, {arrival}")
    return priority * ORDER_SPAN + arrival


def arrival_of(key: int) -> int:
    return key % ORDER_SPAN


def requeue_priority() -> int:
    """A re-queued ticket goes to the end, after the walk-ins waiting now (it loses an invitation's priority)."""
    return WALK_IN_CLASS


def after_no_show(requeues: int) -> str:
    """The state a ticket takes when its student did not come: back to waiting once, then no_show."""
    return WAITING if requeues < MAX_REQUEUES else NO_SHOW


def ordered(tickets: Sequence[tuple[int, int]]) -> list[int]:
    """Ticket ids of (id, order_key) pairs in queue order (what Redis's sorted set keeps)."""
    return [ticket_id for ticket_id, _key in sorted(tickets, key=lambda pair: (pair[1], pair[0]))]


# -- calling ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueTimes:
    """A fair's settings for its queues."""

    no_show_minutes: int = 3       # called and not at the booth within this: no-show
    pause_minutes: int = 5         # called at one booth: held (not called) at the others this long
    interview_pause_minutes: int = 60  # in an interview: held elsewhere until it ends, at most this long

    def __post_init__(self) -> None:
        if not 1 <= self.no_show_minutes <= 60 or not 1 <= self.pause_minutes <= 120:
            raise ValueError("no-show within 1-60 minutes, pause within 1-120 minutes")


def call_pause_ms(times: QueueTimes) -> int:
    """How long a student just called is passed over by the other booths' "call next"."""
    return max(times.pause_minutes, times.no_show_minutes) * 60_000


def interview_pause_ms(times: QueueTimes) -> int:
    return times.interview_pause_minutes * 60_000


def no_show_at(called_at: datetime, times: QueueTimes) -> datetime:
    return called_at + timedelta(minutes=times.no_show_minutes)


def may_mark_no_show(called_at: datetime, now: datetime, times: QueueTimes) -> bool:
    """A booth may mark a called student absent only once the minutes to come have run out."""
    return now >= no_show_at(called_at, times)


def is_paused_for(paused_at_booth: int | None, booth_id: int) -> bool:
    """Whether the booth `booth_id` must pass over a student held by `paused_at_booth` (None: not held)."""
    return paused_at_booth is not None and paused_at_booth != booth_id


def first_callable(waiting: Sequence[tuple[int, int | None]], booth_id: int) -> int | None:
    """Among (student, booth holding him or None) in queue order, the first this booth may call (the rule the
    call-next script applies in Redis)."""
    for student_id, held_by in waiting:
        if not is_paused_for(held_by, booth_id):
            return student_id
    return None


# -- estimated wait ---------------------------------------------------------------------------------------------

RECENT_INTERVIEWS = 10            # interview lengths the estimate averages over
DEFAULT_INTERVIEW_S = 300         # before a booth has finished any interview
MIN_INTERVIEW_S, MAX_INTERVIEW_S = 30, 3600  # lengths outside are clipped (a forgotten "finish" skews nothing)


def average_interview_s(recent: Sequence[float]) -> float:
    lengths = [min(max(float(s), MIN_INTERVIEW_S), MAX_INTERVIEW_S) for s in list(recent)[:RECENT_INTERVIEWS]]
    return sum(lengths) / len(lengths) if lengths else float(DEFAULT_INTERVIEW_S)


def estimated_wait_s(position: int, recent: Sequence[float]) -> int:
    """Position in the queue (1 = next) x the booth's recent average interview length."""
    if position < 1:
        return 0
    return int(round(position * average_interview_s(recent)))


# -- numbers ----------------------------------------------------------------------------------------------------

def display_number(number: int) -> str:
    """A ticket's number as boards and phones show it (per booth): 7 -> "007"."""
    return f"{number:03d}"


def ticket_label(booth_code: str, number: int) -> str:
    """Booth and number, unique in the fair: "A12-007"."""
    return f"{booth_code}-{display_number(number)}"
