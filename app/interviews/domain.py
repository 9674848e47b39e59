"""Recruiting rules (招聘 · 双选会 · 面试邀约), in plain Python: the statuses of positions, applications, fairs,
booth applications and invitations with their transitions, the checks on what a position, a fair and an
invitation must hold, business keys, and who may see or act (over app.identity.principal.Principal).

No Flask, no database: services load the facts and apply these rules; queries turn the visibility rules into
SQL filters. The queue's own rules are app/interviews/queue_rules.py.

    position:   draft -> in_review -> published -> closed
                            |  ^-> returned (the employer edits) -+
                            +-> rejected
    invitation: invited -> accepted -> offered | rejected | invited (next round)
                   |  ^-> proposed (another slot; the employer answers)
                   +-> declined | expired | cancelled (either side, until an outcome)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from app.identity.principal import Principal

# -- positions ---------------------------------------------------------------------------------------------

DRAFT = "draft"
IN_REVIEW = "in_review"
RETURNED = "returned"
PUBLISHED = "published"
REJECTED = "rejected"
CLOSED = "closed"
POSITION_STATUSES = (DRAFT, IN_REVIEW, RETURNED, PUBLISHED, REJECTED, CLOSED)
POSITION_TRANSITIONS = {
    DRAFT: {IN_REVIEW, CLOSED},
    IN_REVIEW: {PUBLISHED, RETURNED, REJECTED},
    RETURNED: {IN_REVIEW, CLOSED},
    PUBLISHED: {CLOSED},
}
EDITABLE_POSITION = (DRAFT, RETURNED)
POSITION_REVIEW_KEY = "position_review"
REVIEW_APPROVE, REVIEW_RETURN, REVIEW_REJECT = "approve", "return", "reject"

ANY_DEGREE = "不限"
DEGREES = ("专科", "本科", "硕士", "博士")  # in order; a position asks for at least one of them (or any)
POSITION_LIMITS = {"title": 60, "description": 4000, "city": 40, "work_location": 100, "breach_terms": 1000,
                   "other_clauses": 2000, "archive_address": 200}
MAX_PAY = 1_000_000
MAX_HEADCOUNT = 10_000


def position_key(position_id: int) -> str:
    """The business key of a position's review process."""
    return f"POS-{position_id}"


def can_move_position(current: str, target: str) -> bool:
    return target in POSITION_TRANSITIONS.get(current, ())


def degree_rank(degree: str) -> int:
    return DEGREES.index(degree) if degree in DEGREES else -1


def accepts_degree(required: str, held: str) -> bool:
    """A position asking for `required` (or any) is open to a holder of `held`."""
    return required == ANY_DEGREE or degree_rank(held) >= degree_rank(required) >= 0


def degrees_accepted_by(held: str) -> tuple[str, ...]:
    """The requirements a holder of `held` meets (for the search filter)."""
    return (ANY_DEGREE, *DEGREES[: degree_rank(held) + 1]) if held in DEGREES else (ANY_DEGREE,)


def is_open_for_applications(status: str, deadline: date | None, today: date) -> bool:
    return status == PUBLISHED and (deadline is None or today <= deadline)


@dataclass(frozen=True)
class PositionInput:
    """What an employer fills in for a position (the posting and the terms an offer will carry)."""

    title: str
    description: str
    majors: tuple[int, ...]
    degree: str
    city: str
    work_location: str
    pay_min: int
    pay_max: int
    headcount: int
    deadline: date | None
    probation_months: int
    contract_years: int
    breach_terms: str
    other_clauses: str
    archive_address: str
    hukou_transfer: bool


def position_problems(data: PositionInput, today: date) -> dict[str, str]:
    """field -> problem code (app/interviews/labels.py says them in the reader's language)."""
    problems: dict[str, str] = {}
    for name in ("title", "description", "city", "work_location", "breach_terms", "archive_address"):
        value = (getattr(data, name) or "").strip()
        if len(value) < 2:
            problems[name] = "required"
        elif len(value) > POSITION_LIMITS[name]:
            problems[name] = "too_long"
    if len(data.other_clauses or "") > POSITION_LIMITS["other_clauses"]:
        problems["other_clauses"] = "too_long"
    if data.degree != ANY_DEGREE and data.degree not in DEGREES:
        problems["degree"] = "choice"
    if not 1 <= data.pay_min <= MAX_PAY:
        problems["pay_min"] = "pay"
    if not 1 <= data.pay_max <= MAX_PAY or data.pay_max < data.pay_min:
        problems["pay_max"] = "pay_range"
    if not 1 <= data.headcount <= MAX_HEADCOUNT:
        problems["headcount"] = "headcount"
    if data.deadline is not None and data.deadline < today:
        problems["deadline"] = "past"
    if not 0 <= data.probation_months <= 6:
        problems["probation_months"] = "probation"
    if not 1 <= data.contract_years <= 10:
        problems["contract_years"] = "contract"
    return problems


def offer_terms(position: PositionInput, monthly_pay: int | None = None) -> dict:
    """The tripartite agreement's terms for an offer of this position (forms/agreements/agreement_offer.json)."""
    return {
        "position": position.title, "work_location": position.work_location,
        "monthly_pay": int(monthly_pay if monthly_pay is not None else position.pay_min),
        "probation_months": position.probation_months, "contract_years": position.contract_years,
        "breach_terms": position.breach_terms, "other_clauses": position.other_clauses or "无",
        "archive_address": position.archive_address, "hukou_transfer": bool(position.hukou_transfer),
    }


# -- applications ----------------------------------------------------------------------------------------

SUBMITTED = "submitted"
SHORTLISTED = "shortlisted"
NOT_SELECTED = "not_selected"
WITHDRAWN = "withdrawn"
APPLICATION_STATUSES = (SUBMITTED, SHORTLISTED, NOT_SELECTED, WITHDRAWN)
APPLICATION_TRANSITIONS = {SUBMITTED: {SHORTLISTED, NOT_SELECTED, WITHDRAWN}, SHORTLISTED: {NOT_SELECTED, WITHDRAWN}}
MAX_NOTE = 1000


def can_move_application(current: str, target: str) -> bool:
    return target in APPLICATION_TRANSITIONS.get(current, ())


# -- fairs and booths ----------------------------------------------------------------------------------------

FAIR_DRAFT = "draft"
FAIR_OPEN = "open"            # published: employers apply for booths, students register; check-in on the day
FAIR_CLOSED = "closed"
FAIR_STATUSES = (FAIR_DRAFT, FAIR_OPEN, FAIR_CLOSED)
MAX_HALLS = 12                # a page listens to at most 16 live channels; the staff overview one per hall
MAX_BOOTHS_PER_HALL = 400
CHECK_IN_OPENS_BEFORE = timedelta(minutes=30)

BOOTH_PENDING = "pending"
BOOTH_APPROVED = "approved"
BOOTH_REJECTED = "rejected"
BOOTH_WITHDRAWN = "withdrawn"
BOOTH_STATUSES = (BOOTH_PENDING, BOOTH_APPROVED, BOOTH_REJECTED, BOOTH_WITHDRAWN)
BOOTH_LIVE = (BOOTH_PENDING, BOOTH_APPROVED)   # one such application per employer and fair
BOOTH_APPLICATION_KEY = "booth_application"


def booth_application_key(application_id: int) -> str:
    return f"BOOTH-{application_id}"


@dataclass(frozen=True)
class FairInput:
    title: str
    day: date
    starts_at: datetime
    ends_at: datetime
    venue: str
    capacity: int
    booth_deadline: date
    no_show_minutes: int
    pause_minutes: int
    halls: tuple[tuple[str, str, int, int], ...]  # (code, name, rows, cols)


def fair_problems(data: FairInput, today: date) -> dict[str, str]:
    problems: dict[str, str] = {}
    if len(data.title.strip()) < 2 or len(data.title) > 120:
        problems["title"] = "required"
    if len(data.venue.strip()) < 2 or len(data.venue) > 200:
        problems["venue"] = "required"
    if data.day < today:
        problems["day"] = "past"
    if data.ends_at <= data.starts_at:
        problems["ends_at"] = "order"
    if not 1 <= data.capacity <= 100_000:
        problems["capacity"] = "capacity"
    if data.booth_deadline > data.day:
        problems["booth_deadline"] = "after_day"
    if not 1 <= data.no_show_minutes <= 60:
        problems["no_show_minutes"] = "minutes"
    if not 1 <= data.pause_minutes <= 120:
        problems["pause_minutes"] = "minutes"
    if not 1 <= len(data.halls) <= MAX_HALLS:
        problems["halls"] = "halls"
    codes = [code for code, _n, _r, _c in data.halls]
    if len(set(codes)) != len(codes) or not all(re.fullmatch(r"[A-Z][A-Z0-9]{0,3}", c) for c in codes):
        problems["halls"] = "hall_codes"
    if any(not 1 <= rows * cols <= MAX_BOOTHS_PER_HALL or rows < 1 or cols < 1 for _c, _n, rows, cols in data.halls):
        problems["halls"] = "hall_size"
    return problems


def booth_code(hall_code: str, number: int) -> str:
    """A booth's code in the fair: hall letter and a number ("A07")."""
    return f"{hall_code}{number:02d}"


def hall_booths(hall_code: str, rows: int, cols: int) -> list[tuple[str, int, int]]:
    """The booths of a hall laid out on its grid: (code, row, col), numbered row by row."""
    return [(booth_code(hall_code, r * cols + c + 1), r, c) for r in range(rows) for c in range(cols)]


def check_in_open(fair_status: str, starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """Queues take students on the fair's day, from half an hour before the doors open until it ends."""
    return fair_status == FAIR_OPEN and starts_at - CHECK_IN_OPENS_BEFORE <= now <= ends_at


def registration_open(fair_status: str, ends_at: datetime, now: datetime) -> bool:
    return fair_status == FAIR_OPEN and now <= ends_at


def booth_applications_open(fair_status: str, booth_deadline: date, today: date) -> bool:
    return fair_status == FAIR_OPEN and today <= booth_deadline


# -- invitations -------------------------------------------------------------------------------------------

INVITED = "invited"
PROPOSED = "proposed"
ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"
CANCELLED = "cancelled"
OFFERED = "offered"
NOT_PASSED = "not_passed"
INVITATION_STATUSES = (INVITED, PROPOSED, ACCEPTED, DECLINED, EXPIRED, CANCELLED, OFFERED, NOT_PASSED)
OPEN_INVITATION = (INVITED, PROPOSED, ACCEPTED)
INVITATION_TRANSITIONS = {
    INVITED: {ACCEPTED, DECLINED, PROPOSED, EXPIRED, CANCELLED},
    PROPOSED: {INVITED, ACCEPTED, CANCELLED, EXPIRED},
    ACCEPTED: {OFFERED, NOT_PASSED, INVITED, CANCELLED},
}
INVITATION_KEY = "interview_invitation"
CANCEL_MESSAGE = "interview_cancelled"

PLACE_BOOTH = "booth"
PLACE_ROOM = "room"
PLACE_ONLINE = "online"
PLACE_KINDS = (PLACE_BOOTH, PLACE_ROOM, PLACE_ONLINE)

ANSWER_ACCEPT, ANSWER_DECLINE, ANSWER_PROPOSE = "accept", "decline", "propose"
# How an interview ends (recorded by the employer on the invitation, or at the booth console).
OUTCOME_NEXT_ROUND, OUTCOME_OFFER, OUTCOME_REJECT = "next_round", "offer", "reject"
OUTCOMES = (OUTCOME_NEXT_ROUND, OUTCOME_OFFER, OUTCOME_REJECT)
COUNTER_ACCEPT, COUNTER_NEW_SLOT, COUNTER_WITHDRAW = "accept_proposal", "new_slot", "withdraw"
MAX_INVITATION_TEXT = 500
REMIND_BEFORE = timedelta(hours=2)
MAX_SLOT = timedelta(hours=12)


def invitation_key(invitation_id: int) -> str:
    return f"INV-{invitation_id}"


def can_move_invitation(current: str, target: str) -> bool:
    return target in INVITATION_TRANSITIONS.get(current, ())


def answer_status(answer: str) -> str:
    return {ANSWER_ACCEPT: ACCEPTED, ANSWER_DECLINE: DECLINED, ANSWER_PROPOSE: PROPOSED}[answer]


def outcome_status(outcome: str) -> str:
    """The invitation's status after the interview's outcome (next round: invited again)."""
    return {OUTCOME_OFFER: OFFERED, OUTCOME_REJECT: NOT_PASSED, OUTCOME_NEXT_ROUND: INVITED}[outcome]


@dataclass(frozen=True)
class Slot:
    """When: a time (start, with an expected end) or a window to come in (start..end)."""

    start: datetime
    end: datetime


def slot_problems(slot: Slot, expires_at: datetime, now: datetime) -> dict[str, str]:
    problems: dict[str, str] = {}
    if slot.start <= now:
        problems["slot_start"] = "past"
    if slot.end <= slot.start or slot.end - slot.start > MAX_SLOT:
        problems["slot_end"] = "slot"
    if expires_at <= now:
        problems["expires_at"] = "past"
    elif expires_at > slot.start:
        problems["expires_at"] = "after_start"
    return problems


def place_problems(kind: str, booth_id: int | None, room: str, online_url: str) -> dict[str, str]:
    if kind not in PLACE_KINDS:
        return {"place_kind": "choice"}
    if kind == PLACE_BOOTH and booth_id is None:
        return {"booth_id": "required"}
    if kind == PLACE_ROOM and not 2 <= len((room or "").strip()) <= 200:
        return {"room": "required"}
    if kind == PLACE_ONLINE and not is_meeting_url(online_url):
        return {"online_url": "url"}
    return {}


def is_meeting_url(url: str) -> bool:
    """An online interview room: an https:// address with a host (no javascript:, no credentials)."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not parts.username and len(url) <= 500


def reminder_at(slot_start: datetime, now: datetime) -> datetime:
    """When the reminder goes out: REMIND_BEFORE the interview, or at once when that is already past."""
    return max(slot_start - REMIND_BEFORE, now)


def should_remind(slot_start: datetime, now: datetime, status: str) -> bool:
    return status == ACCEPTED and now < slot_start


# -- who may see and act ------------------------------------------------------------------------------------

def is_employer_of(principal: Principal, employer_id: int | None) -> bool:
    return (employer_id is not None and principal.employer_id == employer_id and "employer" in principal.scopes)


def is_office(principal: Principal) -> bool:
    """Career-office staff and admins (every fair, every position)."""
    return principal.can("fair.manage")


def can_see_position(principal: Principal, status: str, employer_id: int) -> bool:
    """Published positions: everyone who may browse; others: their employer and the career office."""
    if not principal.can("position.view"):
        return False
    return status in (PUBLISHED, CLOSED) or is_employer_of(principal, employer_id) or principal.can("position.review")


def can_edit_position(principal: Principal, status: str, employer_id: int) -> bool:
    return principal.can("position.manage") and is_employer_of(principal, employer_id) and status in EDITABLE_POSITION


def can_see_application(principal: Principal, student_id: int, employer_id: int) -> bool:
    """The applicant, the position's employer (a résumé only through an application), the career office."""
    return principal.id == student_id or is_employer_of(principal, employer_id) or principal.can("position.review")


def can_screen(principal: Principal, employer_id: int) -> bool:
    return principal.can("position.manage") and is_employer_of(principal, employer_id)


def can_see_invitation(principal: Principal, student_id: int, employer_id: int) -> bool:
    if not principal.can("invitation.view"):
        return False
    return principal.id == student_id or is_employer_of(principal, employer_id) or is_office(principal)


def invitation_party(principal: Principal, student_id: int, employer_id: int) -> str | None:
    """"student" or "employer" when the principal is that side of the invitation."""
    if principal.id == student_id:
        return "student"
    if principal.can("invitation.send") and is_employer_of(principal, employer_id):
        return "employer"
    return None


def can_run_booth(principal: Principal, booth_employer_id: int | None) -> bool:
    """The booth console: the booth's employer (its users) and the career office."""
    if not principal.can("booth.run"):
        return False
    return is_employer_of(principal, booth_employer_id) or is_office(principal)
