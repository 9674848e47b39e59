"""Reading the live queues for the screens: a booth's console, a student's own queues (his phone), a hall's
board (大屏) and the staff overview of a fair. Positions come from Redis (app/interviews/queue_store.py; a lost
copy is rebuilt first), everything else from the ticket rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import func, select

from app.identity.models import Employer, Major, Student, User
from app.identity.principal import Principal
from app.interviews import domain, queue_services, queue_store
from app.interviews import queue_rules as rules
from app.interviews.models import Booth, FairHall, FairRegistration, JobFair, QueueTicket
from app.platform.db_types import utcnow
from app.platform.extensions import db

T = QueueTicket.__table__
BUSY = (rules.CALLED, rules.IN_INTERVIEW)


def _copy(fair_id: int, read, fallback):
    """A read from Redis, rebuilding a lost copy first; `fallback` when Redis cannot be reached."""
    try:
        try:
            return read()
        except queue_store.StateLost:
            queue_services.rebuild(fair_id)
            return read()
    except (RedisError, queue_store.StateLost):
        return fallback


# -- visibility --------------------------------------------------------------------------------------------------

def console_booth(principal: Principal, booth_id: int) -> queue_services.BoothFacts | None:
    """The booth's facts when the principal may run its console (its employer, the career office)."""
    try:
        facts = queue_services.booth_facts(booth_id)
    except queue_services.NotFound:
        return None
    if facts.fair_status == domain.FAIR_DRAFT or not domain.can_run_booth(principal, facts.employer_id):
        return None
    return facts


def visible_ticket(principal: Principal, ticket_id: int):
    """A ticket for its student, the booth's employer and the career office."""
    row = db.session.execute(select(T, Booth.code, Booth.employer_id, Employer.name.label("employer"),
                                    JobFair.title.label("fair_title"), User.display_name.label("student"))
                             .join(Booth, Booth.id == T.c.booth_id).join(JobFair, JobFair.id == T.c.fair_id)
                             .outerjoin(Employer, Employer.id == Booth.employer_id)
                             .join(User, User.id == T.c.student_id).where(T.c.id == ticket_id)).one_or_none()
    if row is None:
        return None
    if row.student_id == principal.id or domain.is_employer_of(principal, row.employer_id) \
            or domain.is_office(principal):
        return row
    return None


# -- the booth console ----------------------------------------------------------------------------------------------

@dataclass
class ConsoleTicket:
    id: int
    number: str
    status: str
    invited: bool
    student: str
    student_no: str
    major: str
    checked_in_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    no_show_from: datetime | None
    requeues: int


@dataclass
class Console:
    facts: queue_services.BoothFacts
    busy: list[ConsoleTicket]       # called or in an interview
    waiting: list[ConsoleTicket]    # in queue order
    done_today: int
    average_s: float

    def as_json(self, now: datetime) -> dict:
        def ticket(t: ConsoleTicket) -> dict:
            return {"id": t.id, "number": t.number, "status": t.status, "invited": t.invited, "student": t.student,
                    "student_no": t.student_no, "major": t.major, "requeues": t.requeues,
                    "checked_in_at": t.checked_in_at.isoformat(),
                    "called_at": t.called_at.isoformat() if t.called_at else None,
                    "started_at": t.started_at.isoformat() if t.started_at else None,
                    "no_show_from": t.no_show_from.isoformat() if t.no_show_from else None,
                    "may_mark_no_show": bool(t.no_show_from and now >= t.no_show_from)}

        return {"booth": self.facts.booth_id, "code": self.facts.code, "busy": [ticket(t) for t in self.busy],
                "waiting": [ticket(t) for t in self.waiting], "done": self.done_today,
                "average_s": round(self.average_s), "now": now.isoformat()}


def console(facts: queue_services.BoothFacts, limit: int = 200) -> Console:
    rows = db.session.execute(
        select(T, User.display_name, Student.student_no, Major.name.label("major"))
        .join(User, User.id == T.c.student_id).join(Student, Student.user_id == T.c.student_id)
        .join(Major, Major.id == Student.major_id)
        .where(T.c.booth_id == facts.booth_id, T.c.status.in_(rules.ACTIVE))
        .order_by(T.c.order_key).limit(limit + 50)).all()
    busy, waiting = [], []
    for r in rows:
        ticket = ConsoleTicket(r.id, rules.display_number(r.number), r.status, r.invited, r.display_name, r.student_no,
                               r.major, r.checked_in_at, r.called_at, r.started_at,
                               rules.no_show_at(r.called_at, facts.times) if r.status == rules.CALLED else None,
                               r.requeues)
        (waiting if r.status == rules.WAITING else busy).append(ticket)
    done = db.session.execute(select(func.count()).select_from(T).where(
        T.c.booth_id == facts.booth_id, T.c.status == rules.DONE)).scalar_one()
    lengths = _copy(facts.fair_id, lambda: queue_store.booth_figures(facts.fair_id, [facts.booth_id]),
                    {facts.booth_id: (len(waiting), [])})
    return Console(facts, busy, waiting[:limit], done, rules.average_interview_s(lengths[facts.booth_id][1]))


# -- the student's phone ---------------------------------------------------------------------------------------------

@dataclass
class MyTicket:
    id: int
    booth_id: int
    booth_code: str
    hall_id: int
    hall_name: str
    employer: str
    number: str
    status: str
    invited: bool
    position: int | None
    wait_s: int | None
    held_elsewhere: str | None     # the booth that called him, while he waits here


@dataclass
class MyQueues:
    fair: JobFair
    registered: bool
    tickets: list[MyTicket]
    hall_ids: list[int]

    def as_json(self) -> dict:
        return {"fair": self.fair.id, "tickets": [t.__dict__ for t in self.tickets]}


def my_queues(fair: JobFair, student_id: int) -> MyQueues:
    rows = db.session.execute(
        select(T, Booth.code, Booth.hall_id, FairHall.name.label("hall"), Employer.name.label("employer"))
        .join(Booth, Booth.id == T.c.booth_id).join(FairHall, FairHall.id == Booth.hall_id)
        .outerjoin(Employer, Employer.id == Booth.employer_id)
        .where(T.c.fair_id == fair.id, T.c.student_id == student_id).order_by(T.c.checked_in_at.desc())).all()
    registered = db.session.execute(select(FairRegistration.id).where(
        FairRegistration.fair_id == fair.id, FairRegistration.student_id == student_id)).first() is not None
    waiting = [r.booth_id for r in rows if r.status == rules.WAITING]
    standings = _copy(fair.id, lambda: queue_store.standings(fair.id, student_id, waiting), {}) if waiting else {}
    codes = {r.booth_id: r.code for r in rows}
    tickets = []
    for r in rows:
        standing = standings.get(r.booth_id)
        position = standing.position if standing else None
        held = standing.held_by if standing else None
        tickets.append(MyTicket(
            r.id, r.booth_id, r.code, r.hall_id, r.hall, r.employer or "", rules.display_number(r.number), r.status,
            r.invited, position, rules.estimated_wait_s(position, standing.recent_lengths) if position else None,
            codes.get(held, str(held)) if held is not None and held != r.booth_id else None))
    active_first = sorted(tickets, key=lambda t: (not rules.is_active(t.status), t.position or 10**6))
    return MyQueues(fair, registered, active_first, sorted({t.hall_id for t in tickets if rules.is_active(t.status)}))


# -- the hall's board and the staff overview --------------------------------------------------------------------------------

def hall(fair_id: int, hall_id: int) -> tuple[JobFair, FairHall] | None:
    row = db.session.execute(select(JobFair, FairHall).join(FairHall, FairHall.fair_id == JobFair.id)
                             .where(JobFair.id == fair_id, FairHall.id == hall_id,
                                    JobFair.status != domain.FAIR_DRAFT)).first()
    return (row.JobFair, row.FairHall) if row else None


def public_boards(limit: int = 30) -> list[tuple[int, int, str]]:
    """The halls' live boards that are public (fairs no longer drafts), newest fair first: (fair id, hall id,
    "fair · hall"), for a big screen to show."""
    rows = db.session.execute(select(JobFair.id, FairHall.id, JobFair.title, FairHall.name)
                              .join(FairHall, FairHall.fair_id == JobFair.id)
                              .where(JobFair.status != domain.FAIR_DRAFT)
                              .order_by(JobFair.day.desc(), FairHall.id).limit(limit)).all()
    return [(fair_id, hall_id, f"{title} · {hall}") for fair_id, hall_id, title, hall in rows]


def board(fair: JobFair, hall_: FairHall) -> list[dict]:
    """Every booth with an employer in the hall: its current and next numbers (the board's first paint)."""
    booths = db.session.execute(select(Booth.id, Booth.code, Employer.name).join(Employer, Employer.id == Booth.employer_id)
                                .where(Booth.hall_id == hall_.id).order_by(Booth.row, Booth.col)).all()

    def read():
        return {b.id: queue_store.snapshot(fair.id, b.id) for b in booths}

    snaps = _copy(fair.id, read, {})
    empty = queue_store.BoothSnapshot(None, 0, [], [], [])
    return [{**snaps.get(b.id, empty).as_event(b.id, b.code), "employer": b.name} for b in booths]


@dataclass
class BoothFigure:
    booth_id: int
    code: str
    hall: str
    employer: str
    waiting: int
    busy: int
    average_wait_s: int | None       # of those waiting now
    average_interview_s: int
    done: int
    idle: bool                       # nobody called or in an interview while students wait


def overview(fair: JobFair, now: datetime | None = None) -> list[BoothFigure]:
    now = now or utcnow()
    booths = db.session.execute(select(Booth.id, Booth.code, FairHall.name, Employer.name.label("employer"))
                                .join(FairHall, FairHall.id == Booth.hall_id).join(Employer, Employer.id == Booth.employer_id)
                                .where(Booth.fair_id == fair.id).order_by(FairHall.code, Booth.row, Booth.col)).all()
    stats: dict[int, dict] = {}
    for row in db.session.execute(select(T.c.booth_id, T.c.status, func.count(), func.min(T.c.checked_in_at),
                                         func.max(T.c.checked_in_at))
                                  .where(T.c.fair_id == fair.id).group_by(T.c.booth_id, T.c.status)):
        stats.setdefault(row[0], {})[row[1]] = row
    waits = dict(db.session.execute(select(T.c.booth_id, func.count()).where(
        T.c.fair_id == fair.id, T.c.status == rules.WAITING).group_by(T.c.booth_id)).all())
    waiting_since = _waiting_ages(fair.id, now)
    figures = _copy(fair.id, lambda: queue_store.booth_figures(fair.id, [b.id for b in booths]), {})
    result = []
    for b in booths:
        counts = stats.get(b.id, {})
        busy = sum(counts[s][2] for s in BUSY if s in counts)
        waiting = figures.get(b.id, (waits.get(b.id, 0), []))[0]
        result.append(BoothFigure(
            b.id, b.code, b.name, b.employer, waiting, busy, waiting_since.get(b.id),
            round(rules.average_interview_s(figures.get(b.id, (0, []))[1])),
            counts[rules.DONE][2] if rules.DONE in counts else 0, busy == 0 and waiting > 0))
    return result


def _waiting_ages(fair_id: int, now: datetime) -> dict[int, int]:
    """Average time waited so far by those waiting now, per booth (seconds)."""
    ages: dict[int, list[float]] = {}
    for booth_id, since in db.session.execute(select(T.c.booth_id, T.c.checked_in_at).where(
            T.c.fair_id == fair_id, T.c.status == rules.WAITING)):
        ages.setdefault(booth_id, []).append((now - since).total_seconds())
    return {booth_id: int(sum(v) / len(v)) for booth_id, v in ages.items()}


def fair_counts(fair_id: int) -> dict:
    checked_in = db.session.execute(select(func.count(func.distinct(T.c.student_id))).where(T.c.fair_id == fair_id)
                                    ).scalar_one()
    registered = db.session.execute(select(func.count()).select_from(FairRegistration).where(
        FairRegistration.fair_id == fair_id)).scalar_one()
    return {"registered": registered, "checked_in": checked_in}
