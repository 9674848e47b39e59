"""An offer after an interview starts the tripartite agreement (through the agreement area's public service,
`app.agreements.services.issue_offer`) with the position's terms, linked back to where it was made; and the
student is told the outcome of an interview.

Used by the invitation process's service task (tasks/interviews.py) and by the booth console for walk-ins
(queue_services.finish). Joins the caller's unit of work.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.agreements import services as agreements
from app.identity.models import Employer, Student
from app.interviews import domain, notices
from app.interviews.models import Position
from app.notifications import notify
from app.notifications.links import path_for
from app.platform.extensions import db
from app.platform.uow import unit_of_work


class OfferError(Exception):
    """The offer could not be made (the message says why, for the employer)."""


@dataclass(frozen=True)
class OfferRequest:
    position_id: int
    monthly_pay: int | None = None   # None: the position's lowest pay


def position_input(position: Position) -> domain.PositionInput:
    return domain.PositionInput(
        position.title, position.description, (), position.degree, position.city, position.work_location,
        position.pay_min, position.pay_max, position.headcount, position.deadline, position.probation_months,
        position.contract_years, position.breach_terms, position.other_clauses or "", position.archive_address,
        position.hukou_transfer)


def make_offer(employer_user_id: int, student_id: int, offer: OfferRequest, employer_id: int, origin: dict,
               remote_addr: str | None = None, key: str | None = None) -> int:
    """Issue the agreement offer for `offer.position_id` to the student; returns the agreement id."""
    with unit_of_work() as uow:
        position = uow.get(Position, offer.position_id)
        if position is None or position.employer_id != employer_id or position.status not in (
                domain.PUBLISHED, domain.CLOSED):
            raise OfferError(_l("Choose one of your published positions for the offer."))
        pay = offer.monthly_pay if offer.monthly_pay is not None else position.pay_min
        if not 1 <= pay <= domain.MAX_PAY:
            raise OfferError(_l("Enter a monthly pay between 1 and %(max)s yuan.", max=domain.MAX_PAY))
        student_no = uow.execute(select(Student.student_no).where(Student.user_id == student_id)).scalar()
        if student_no is None:
            raise OfferError(_l("Offers go to students only."))
        terms = domain.offer_terms(position_input(position), pay)
        try:
            agreement_id = agreements.issue_offer(employer_user_id, student_no, terms, remote_addr,
                                                  origin={"kind": "interview", **origin})
        except agreements.AgreementError as err:
            raise OfferError(str(err)) from None
        employer = uow.get(Employer, employer_id)
        notify([student_id], notices.OFFER.name, params={"employer": employer.name, "position": position.title},
               link=path_for("agreements.show", agreement_id=agreement_id), key=key or f"offer:{agreement_id}")
        uow.commit()
        return agreement_id


def tell_outcome(student_id: int, employer_id: int, outcome: str, position_id: int | None, note: str,
                 key: str) -> int:
    """Tell the student a next round or that it ends here (an offer tells itself)."""
    kind = {domain.OUTCOME_NEXT_ROUND: notices.NEXT_ROUND, domain.OUTCOME_REJECT: notices.NOT_PASSED}.get(outcome)
    if kind is None:
        return 0
    with unit_of_work() as uow:
        employer = uow.get(Employer, employer_id)
        title = uow.execute(select(Position.title).where(Position.id == position_id)).scalar() if position_id else ""
        sent = notify([student_id], kind.name, params={"employer": employer.name, "position": title or "",
                                                       "note": note or ""}, key=key)
        uow.commit()
        return sent
