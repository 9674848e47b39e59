"""Recruiting reports from the recorded history (the rows of applications, invitations and every queue
transition, and the agreements the offers started): the funnel per fair and per employer, the average wait per
booth, the no-show rate. Registered with the platform as ReportDefinitions (area.py) for the reporting package;
shown on /interviews/reports.

Funnel steps, each counted as distinct students per employer (and fair):
applied -> invited -> accepted -> checked in -> interviewed -> offer -> agreement signed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from app.agreements import queries as agreement_queries
from app.identity.models import Employer
from app.interviews import domain
from app.interviews import queue_rules as rules
from app.interviews.models import Application, Booth, BoothApplication, Invitation, JobFair, QueueEvent, QueueTicket
from app.platform.extensions import db

STEPS = ("applied", "invited", "accepted", "checked_in", "interviewed", "offer", "signed")
SIGNED = "in_force"
ACCEPTED_ONCE = (domain.ACCEPTED, domain.OFFERED, domain.NOT_PASSED)


@dataclass
class FunnelRow:
    key: tuple                     # (fair id or None, employer id)
    fair: str | None
    employer: str
    students: dict[str, set] = field(default_factory=lambda: {s: set() for s in STEPS})

    @property
    def counts(self) -> dict[str, int]:
        return {step: len(self.students[step]) for step in STEPS}


def funnel(fair_id: int | None = None) -> list[FunnelRow]:
    """Per employer (overall), or per employer at one fair (its booth's queue and the invitations placed at its
    booth; applications for the positions it brought)."""
    rows: dict[int, FunnelRow] = {}
    names = dict(db.session.execute(select(Employer.id, Employer.name)).all())
    fair_title = db.session.execute(select(JobFair.title).where(JobFair.id == fair_id)).scalar() if fair_id else None

    def row(employer_id: int) -> FunnelRow:
        if employer_id not in rows:
            rows[employer_id] = FunnelRow((fair_id, employer_id), fair_title, names.get(employer_id, "?"))
        return rows[employer_id]

    applications = select(Application.employer_id, Application.student_id, Application.position_id)
    invitations = select(Invitation.employer_id, Invitation.student_id, Invitation.status, Invitation.round,
                         Invitation.outcome, Invitation.agreement_id, Invitation.booth_id)
    tickets = select(QueueTicket.student_id, QueueTicket.status, QueueTicket.outcome, QueueTicket.agreement_id,
                     Booth.employer_id).join(Booth, Booth.id == QueueTicket.booth_id)
    if fair_id is not None:
        brought = defaultdict(set)
        for employer_id, positions in db.session.execute(select(BoothApplication.employer_id, BoothApplication.positions)
                                                         .where(BoothApplication.fair_id == fair_id,
                                                                BoothApplication.status == domain.BOOTH_APPROVED)):
            brought[employer_id].update(positions or [])
        booths = select(Booth.id).where(Booth.fair_id == fair_id)
        invitations = invitations.where(Invitation.booth_id.in_(booths))
        tickets = tickets.where(QueueTicket.fair_id == fair_id)
    agreements: dict[int, list[tuple[int, int]]] = defaultdict(list)  # agreement -> (employer, student)
    for r in db.session.execute(applications):
        if fair_id is None or r.position_id in brought.get(r.employer_id, ()):
            row(r.employer_id).students["applied"].add(r.student_id)
    for r in db.session.execute(invitations):
        steps = row(r.employer_id).students
        steps["invited"].add(r.student_id)
        if r.status in ACCEPTED_ONCE or r.round > 1:
            steps["accepted"].add(r.student_id)
        if r.outcome is not None or r.status in (domain.OFFERED, domain.NOT_PASSED):
            steps["interviewed"].add(r.student_id)
        if r.status == domain.OFFERED:
            steps["offer"].add(r.student_id)
        if r.agreement_id:
            agreements[r.agreement_id].append((r.employer_id, r.student_id))
    for r in db.session.execute(tickets):
        if r.employer_id is None:
            continue
        steps = row(r.employer_id).students
        steps["checked_in"].add(r.student_id)
        if r.status == rules.DONE:
            steps["interviewed"].add(r.student_id)
        if r.outcome == domain.OUTCOME_OFFER:
            steps["offer"].add(r.student_id)
        if r.agreement_id:
            agreements[r.agreement_id].append((r.employer_id, r.student_id))
    for agreement_id, (status, _instance) in agreement_queries.agreement_links(agreements).items():
        if status == SIGNED:
            for employer_id, student_id in agreements[agreement_id]:
                row(employer_id).students["signed"].add(student_id)
    return sorted(rows.values(), key=lambda r: r.employer)


@dataclass(frozen=True)
class BoothWait:
    booth_id: int
    code: str
    employer: str
    called: int
    average_wait_s: int | None     # check-in to the (first) call
    no_shows: int

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.called if self.called else None


def booth_waits(fair_id: int) -> list[BoothWait]:
    """Per booth of a fair: how long students waited from check-in to their call, and how many calls went
    unanswered (no-show events over calls)."""
    booths = db.session.execute(select(Booth.id, Booth.code, Employer.name).join(Employer, Employer.id == Booth.employer_id)
                                .where(Booth.fair_id == fair_id).order_by(Booth.code)).all()
    checked_in = dict(db.session.execute(select(QueueTicket.id, QueueTicket.checked_in_at)
                                         .where(QueueTicket.fair_id == fair_id)).all())
    first_call: dict[int, object] = {}
    calls: dict[int, int] = defaultdict(int)
    misses: dict[int, int] = defaultdict(int)
    ticket_booth: dict[int, int] = {}
    for event in db.session.execute(select(QueueEvent.ticket_id, QueueEvent.booth_id, QueueEvent.kind, QueueEvent.at)
                                    .where(QueueEvent.fair_id == fair_id,
                                           QueueEvent.kind.in_((rules.CALL, rules.MISSED)))
                                    .order_by(QueueEvent.id)):
        ticket_booth[event.ticket_id] = event.booth_id
        if event.kind == rules.CALL:
            calls[event.booth_id] += 1
            first_call.setdefault(event.ticket_id, event.at)
        else:
            misses[event.booth_id] += 1
    waits: dict[int, list[float]] = defaultdict(list)
    for ticket_id, at in first_call.items():
        waits[ticket_booth[ticket_id]].append((at - checked_in[ticket_id]).total_seconds())
    return [BoothWait(b.id, b.code, b.name, calls[b.id],
                      int(sum(waits[b.id]) / len(waits[b.id])) if waits[b.id] else None, misses[b.id])
            for b in booths]


def no_show_rate(fair_id: int) -> float | None:
    """No-show events over calls, for the whole fair."""
    rows = booth_waits(fair_id)
    called = sum(r.called for r in rows)
    return sum(r.no_shows for r in rows) / called if called else None
