"""Positions (招聘岗位) and applications: an approved employer writes a position, submits it to the career
office's review (bpmn/interviews/position_review.bpmn: approve, return for changes, reject; wording that
discriminates is flagged for the reviewer and must be edited before it is published), students apply with a
résumé file, the employer shortlists or turns applications down with a reason the student sees.

The search tokens of a position (text_search.py) are written with it, in the same transaction.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from app import engine
from app.employers import queries as employers
from app.identity.models import Major, Student, User
from app.interviews import domain, notices, text_search, wording
from app.interviews.models import Application, Position, PositionMajor, PositionToken, ResumeAccess
from app.notifications import notify
from app.notifications.links import path_for
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work

TOKEN = PositionToken.__table__


class PositionError(Exception):
    """A refused action on a position or an application; `problems` maps form fields to problem codes."""

    def __init__(self, message, problems: dict[str, str] | None = None):
        super().__init__(message)
        self.problems = problems or {}


def _employer_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.employer_id is None or "employer" not in user.role_names:
        raise PositionError(_l("Only employer accounts manage positions."))
    if not employers.is_approved(employers.employer(user.employer_id)):
        raise PositionError(_l("Your organisation's qualification has not been approved yet."))
    return user


def searchable_text(position: Position, employer_name: str, major_names: list[str]) -> str:
    return text_search.normalise(" ".join([position.title, employer_name, position.city, position.work_location,
                                           position.degree, *major_names, position.description]))


def _index(position: Position) -> None:
    """The position's search text and tokens (replaced whole)."""
    employer = employers.employer(position.employer_id)
    names = list(db.session.execute(select(Major.name).join(PositionMajor, PositionMajor.major_id == Major.id)
                                    .where(PositionMajor.position_id == position.id)).scalars())
    position.search_text = searchable_text(position, employer.name, names)
    db.session.execute(delete(TOKEN).where(TOKEN.c.position_id == position.id))
    found = sorted(text_search.tokens(position.search_text))
    if found:
        db.session.execute(insert(TOKEN), [{"token": t, "position_id": position.id} for t in found])


def _apply(position: Position, data: domain.PositionInput) -> None:
    """The input onto the (flushed) position: its fields, majors and the wording check."""
    _apply_scalars(position, data)
    known = set(db.session.execute(select(Major.id).where(Major.id.in_(data.majors))).scalars()) if data.majors else set()
    db.session.execute(delete(PositionMajor.__table__).where(PositionMajor.position_id == position.id))
    if known:
        db.session.execute(insert(PositionMajor.__table__),
                           [{"position_id": position.id, "major_id": m} for m in sorted(known)])
    position.flags = [f.as_dict() for f in wording.flags(data.title, data.description, data.other_clauses)]


def save_position(user_id: int, data: domain.PositionInput, position_id: int | None = None,
                  today: date | None = None) -> int:
    """Create (position_id None) or edit a draft or returned position; returns its id."""
    problems = domain.position_problems(data, today or date.today())
    if problems:
        raise PositionError(_l("Please correct the marked fields."), problems)
    with unit_of_work() as uow:
        user = _employer_user(user_id)
        if position_id is None:
            position = Position(employer_id=user.employer_id, status=domain.DRAFT, created_by=user.id, flags=[])
            _apply_scalars(position, data)
            uow.add(position)
            uow.flush()
        else:
            _user, position = _own_locked(user_id, position_id)
            if position.status not in domain.EDITABLE_POSITION:
                raise PositionError(_l("Only a draft or a returned position can be edited."))
        _apply(position, data)
        _index(position)
        uow.commit()
        return position.id


def _apply_scalars(position: Position, data: domain.PositionInput) -> None:
    for name in ("title", "description", "degree", "city", "work_location", "breach_terms", "other_clauses",
                 "archive_address"):
        setattr(position, name, (getattr(data, name) or "").strip())
    for name in ("pay_min", "pay_max", "headcount", "deadline", "probation_months", "contract_years",
                 "hukou_transfer"):
        setattr(position, name, getattr(data, name))


def _locked(position_id: int) -> Position:
    position = db.session.execute(select(Position).where(Position.id == position_id).with_for_update()
                                  ).scalar_one_or_none()
    if position is None:
        raise PositionError(_l("There is no such position."))
    return position


def _own_locked(user_id: int, position_id: int) -> tuple[User, Position]:
    """The employer user and his organisation's position, locked for the change."""
    user = _employer_user(user_id)
    position = _locked(position_id)
    if position.employer_id != user.employer_id:
        raise PositionError(_l("There is no such position."))
    return user, position


def submit_position(user_id: int, position_id: int, now: datetime | None = None) -> int:
    """Send a draft or returned position to the career office's review; returns the review's instance."""
    now = now or utcnow()
    with unit_of_work() as uow:
        user, position = _own_locked(user_id, position_id)
        if not domain.can_move_position(position.status, domain.IN_REVIEW):
            raise PositionError(_l("This position is not waiting to be submitted."))
        try:
            definition = engine.latest_definition(domain.POSITION_REVIEW_KEY)
        except engine.NotFound:
            raise PositionError(_l("The review process is not deployed; ask an administrator.")) from None
        employer = employers.employer(position.employer_id)
        position.status, position.submitted_at, position.review_comment = domain.IN_REVIEW, now, None
        found = [wording.Flag(f["category"], f["text"]) for f in position.flags or []]
        data = {
            "position_id": position.id, "position_title": position.title, "employer_name": employer.name,
            "employer_credit_code": employer.credit_code, "city": position.city,
            "pay_text": f"{position.pay_min}–{position.pay_max}", "degree": position.degree,
            "headcount": position.headcount, "position_description": position.description,
            "flagged_text": wording.summary(found) or "—", "has_flags": bool(found),
            "lane_owners": {"employer": [user.id]},
        }
        position.instance_id = engine.start_instance(definition, data, business_key=domain.position_key(position.id),
                                                     started_by=user.id, scope={"employer": employer.id})
        uow.commit()
        return position.instance_id


def record_review(position_id: int, decision: str, comment: str | None, actor_id: int | None,
                  now: datetime | None = None) -> dict:
    """The career office's decision (the review process's service task; safe to run twice). Approving a
    position whose wording is flagged returns it to the employer instead: the flagged words must go."""
    now = now or utcnow()
    with unit_of_work() as uow:
        position = _locked(position_id)
        if position.status != domain.IN_REVIEW:
            return {"status": position.status}
        if decision == domain.REVIEW_APPROVE and position.flags:
            decision = domain.REVIEW_RETURN
            comment = (comment or "").strip()
            change = str(_l("Change this wording before the position can be published: %(flags)s",
                            flags=wording.summary([wording.Flag(f["category"], f["text"]) for f in position.flags])))
            comment = f"{comment}；{change}" if comment else change
        target = {domain.REVIEW_APPROVE: domain.PUBLISHED, domain.REVIEW_RETURN: domain.RETURNED,
                  domain.REVIEW_REJECT: domain.REJECTED}.get(decision)
        if target is None:
            raise PositionError(_l("Unknown review decision."))
        position.status, position.review_comment = target, (comment or "").strip() or None
        if target == domain.PUBLISHED:
            position.published_at = now
        kind = {domain.PUBLISHED: notices.POSITION_PUBLISHED, domain.RETURNED: notices.POSITION_RETURNED,
                domain.REJECTED: notices.POSITION_REJECTED}[target]
        notify(employers.user_ids(position.employer_id), kind.name,
               params={"position": position.title, "reason": position.review_comment or "—"},
               link=path_for("positions.show", position_id=position.id),
               key=f"position:{position.id}:{position.submitted_at.isoformat() if position.submitted_at else ''}:{target}")
        uow.commit()
        return {"status": target, "comment": position.review_comment or ""}


def close_position(user_id: int, position_id: int) -> None:
    with unit_of_work() as uow:
        _user, position = _own_locked(user_id, position_id)
        if not domain.can_move_position(position.status, domain.CLOSED):
            raise PositionError(_l("This position cannot be closed now."))
        position.status = domain.CLOSED
        uow.commit()


# -- applications -------------------------------------------------------------------------------------------------

def apply(student_id: int, position_id: int, resume_ref: dict, note: str = "", today: date | None = None) -> int:
    """A student applies with his profile and a résumé file (already stored); returns the application id."""
    note = (note or "").strip()
    if len(note) > domain.MAX_NOTE:
        raise PositionError(_l("At most %(n)s characters.", n=domain.MAX_NOTE), {"note": "too_long"})
    with unit_of_work() as uow:
        student = uow.get(Student, student_id)
        if student is None:
            raise PositionError(_l("Only students apply for positions."))
        position = uow.get(Position, position_id)
        if position is None or not domain.is_open_for_applications(position.status, position.deadline,
                                                                   today or date.today()):
            raise PositionError(_l("This position does not take applications now."))
        application = Application(position_id=position_id, student_id=student_id, employer_id=position.employer_id,
                                  status=domain.SUBMITTED, resume=resume_ref, note=note, applied_at=utcnow())
        uow.add(application)
        try:
            uow.flush()
        except IntegrityError:
            raise PositionError(_l("You have already applied for this position.")) from None
        uow.commit()
        return application.id


def screen(user_id: int, application_id: int, decision: str, reason: str = "") -> None:
    """The employer shortlists an application or turns it down (the reason is shown to the student)."""
    reason = (reason or "").strip()
    target = {"shortlist": domain.SHORTLISTED, "not_selected": domain.NOT_SELECTED}.get(decision)
    if target is None:
        raise PositionError(_l("Choose shortlist or not selected."))
    if target == domain.NOT_SELECTED and not 2 <= len(reason) <= domain.MAX_NOTE:
        raise PositionError(_l("Give the student a reason (2 to %(n)s characters).", n=domain.MAX_NOTE),
                            {"reason": "required"})
    with unit_of_work() as uow:
        user = _employer_user(user_id)
        application = uow.execute(select(Application).where(Application.id == application_id).with_for_update()
                                  ).scalar_one_or_none()
        if application is None or application.employer_id != user.employer_id:
            raise PositionError(_l("There is no such application."))
        if not domain.can_move_application(application.status, target):
            raise PositionError(_l("This application has already been decided."))
        application.status, application.decided_at, application.decided_by = target, utcnow(), user.id
        application.reason = reason or None
        position = uow.get(Position, application.position_id)
        employer = employers.employer(application.employer_id)
        kind = notices.APPLICATION_SHORTLISTED if target == domain.SHORTLISTED else notices.APPLICATION_NOT_SELECTED
        notify([application.student_id], kind.name,
               params={"position": position.title, "employer": employer.name, "reason": reason or "—"},
               link=path_for("positions.show", position_id=position.id), key=f"application:{application.id}:{target}")
        uow.commit()


def withdraw(student_id: int, application_id: int) -> None:
    with unit_of_work() as uow:
        application = uow.get(Application, application_id)
        if application is None or application.student_id != student_id:
            raise PositionError(_l("There is no such application."))
        if not domain.can_move_application(application.status, domain.WITHDRAWN):
            raise PositionError(_l("This application can no longer be withdrawn."))
        application.status = domain.WITHDRAWN
        uow.commit()


def record_resume_access(application_id: int, user_id: int) -> None:
    """Who opened a résumé (the student sees it on his application)."""
    with unit_of_work() as uow:
        uow.execute(insert(ResumeAccess.__table__).values(application_id=application_id, user_id=user_id,
                                                          at=utcnow()))
        uow.commit()
