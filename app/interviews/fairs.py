"""Job fairs (双选会): staff create a fair with its halls laid out as grids of booths and open it; employers
apply for a booth with the positions they bring (bpmn/interviews/booth_application.bpmn: the career office
approves in its inbox and the employer gets the first free booth of the hall it asks for); students register
(within the capacity). The queues at the booths are queue_services.py.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import engine
from app.employers import queries as employers
from app.identity.models import Student, User
from app.interviews import domain, notices, queue_services
from app.interviews.models import Booth, BoothApplication, FairHall, JobFair, Position, QueueTicket
from app.notifications import notify
from app.notifications.links import path_for
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work


class FairError(Exception):
    """A refused action on a fair; `problems` maps form fields to problem codes."""

    def __init__(self, message, problems: dict[str, str] | None = None):
        super().__init__(message)
        self.problems = problems or {}


def create_fair(staff_id: int, data: domain.FairInput, today: date | None = None) -> int:
    """A fair in draft with its halls and their booths; returns its id."""
    problems = domain.fair_problems(data, today or date.today())
    if problems:
        raise FairError(_l("Please correct the marked fields."), problems)
    with unit_of_work() as uow:
        fair = JobFair(title=data.title.strip(), day=data.day, starts_at=data.starts_at, ends_at=data.ends_at,
                       venue=data.venue.strip(), capacity=data.capacity, registered=0,
                       booth_deadline=data.booth_deadline, no_show_minutes=data.no_show_minutes,
                       pause_minutes=data.pause_minutes, status=domain.FAIR_DRAFT, created_by=staff_id,
                       created_at=utcnow())
        uow.add(fair)
        uow.flush()
        for code, name, rows, cols in data.halls:
            hall = FairHall(fair_id=fair.id, code=code, name=name.strip() or code, rows=rows, cols=cols)
            uow.add(hall)
            uow.flush()
            uow.add_all([Booth(fair_id=fair.id, hall_id=hall.id, code=booth, row=r, col=c)
                         for booth, r, c in domain.hall_booths(code, rows, cols)])
        uow.commit()
        return fair.id


def set_fair_status(fair_id: int, status: str) -> None:
    """Open a draft fair (employers apply, students register), or close it."""
    allowed = {domain.FAIR_DRAFT: {domain.FAIR_OPEN}, domain.FAIR_OPEN: {domain.FAIR_CLOSED}}
    with unit_of_work() as uow:
        fair = uow.execute(select(JobFair).where(JobFair.id == fair_id).with_for_update()).scalar_one_or_none()
        if fair is None:
            raise FairError(_l("There is no such fair."))
        if status not in allowed.get(fair.status, ()):
            raise FairError(_l("The fair cannot go from %(a)s to %(b)s.", a=fair.status, b=status))
        fair.status = status
        uow.commit()


def register(student_id: int, fair_id: int, now: datetime | None = None) -> bool:
    """A student registers for an open fair (within its capacity); False when he already was."""
    now = now or utcnow()
    with unit_of_work() as uow:
        fair = uow.get(JobFair, fair_id)
        if fair is None:
            raise FairError(_l("There is no such fair."))
        if uow.get(Student, student_id) is None:
            raise FairError(_l("Only students register for fairs."))
        if not domain.registration_open(fair.status, fair.ends_at, now):
            raise FairError(_l("Registration for this fair is closed."))
        try:
            added = queue_services.register_student(fair_id, student_id, now)
        except queue_services.QueueError as err:
            raise FairError(str(err)) from None
        except IntegrityError:  # the same student registering twice at once
            return False
        uow.commit()
        return added


# -- booths ---------------------------------------------------------------------------------------------------

def apply_for_booth(user_id: int, fair_id: int, position_ids: list[int], hall_code: str | None, note: str = "",
                    today: date | None = None) -> int:
    """An employer asks for a booth with the positions it brings; the career office decides in its inbox."""
    note = (note or "").strip()
    if len(note) > domain.MAX_NOTE:
        raise FairError(_l("At most %(n)s characters.", n=domain.MAX_NOTE), {"note": "too_long"})
    with unit_of_work() as uow:
        user = uow.get(User, user_id)
        if user is None or user.employer_id is None or "employer" not in user.role_names:
            raise FairError(_l("Only employer accounts apply for booths."))
        employer = employers.employer(user.employer_id)
        if not employers.is_approved(employer):
            raise FairError(_l("Your organisation's qualification has not been approved yet."))
        fair = uow.get(JobFair, fair_id)
        if fair is None or not domain.booth_applications_open(fair.status, fair.booth_deadline, today or date.today()):
            raise FairError(_l("This fair does not take booth applications now."))
        halls = {h.code: h for h in uow.execute(select(FairHall).where(FairHall.fair_id == fair_id)).scalars()}
        if hall_code and hall_code not in halls:
            raise FairError(_l("Choose one of the fair's halls."), {"hall": "choice"})
        ids = sorted({int(p) for p in position_ids})
        titles = dict(uow.execute(select(Position.id, Position.title).where(
            Position.id.in_(ids), Position.employer_id == employer.id, Position.status == domain.PUBLISHED)).all())
        if not ids or len(titles) != len(ids):
            raise FairError(_l("Choose the published positions you bring."), {"positions": "required"})
        try:
            definition = engine.latest_definition(domain.BOOTH_APPLICATION_KEY)
        except engine.NotFound:
            raise FairError(_l("The booth application process is not deployed; ask an administrator.")) from None
        application = BoothApplication(fair_id=fair_id, employer_id=employer.id, positions=ids, note=note,
                                       status=domain.BOOTH_PENDING, created_by=user.id, created_at=utcnow())
        uow.add(application)
        try:
            uow.flush()
        except IntegrityError:
            raise FairError(_l("Your organisation has already applied for a booth at this fair.")) from None
        data = {
            "application_id": application.id, "fair_title": fair.title, "fair_day": fair.day.isoformat(),
            "employer_name": employer.name, "employer_credit_code": employer.credit_code,
            "positions_text": "；".join(titles[i] for i in ids), "hall_code": hall_code or "",
            "application_note": note or "—", "lane_owners": {"employer": [user.id]},
        }
        application.instance_id = engine.start_instance(
            definition, data, business_key=domain.booth_application_key(application.id), started_by=user.id,
            scope={"employer": employer.id})
        uow.commit()
        return application.id


def record_booth_review(application_id: int, decision: str, hall_code: str | None, reason: str | None,
                        actor_id: int | None) -> dict:
    """The career office's decision (service task; safe to run twice): approved gets the first free booth of
    the hall asked for (any hall when that one is full); no booth left is a refusal with that reason."""
    with unit_of_work() as uow:
        application = uow.execute(select(BoothApplication).where(BoothApplication.id == application_id)
                                  .with_for_update()).scalar_one_or_none()
        if application is None:
            raise FairError(_l("There is no such booth application."))
        if application.status != domain.BOOTH_PENDING:
            return {"status": application.status, "booth": _booth_code(application.booth_id)}
        fair = uow.get(JobFair, application.fair_id)
        booth = None
        if decision == "approve":
            booth = _free_booth(application.fair_id, hall_code or None)
            if booth is None:
                decision, reason = "reject", str(_l("No booth is free any more."))
        application.decided_at = utcnow()
        recipients = employers.user_ids(application.employer_id)
        link = path_for("fairs.show", fair_id=fair.id)
        if decision == "approve":
            booth.employer_id = application.employer_id
            application.status, application.booth_id = domain.BOOTH_APPROVED, booth.id
            hall = uow.get(FairHall, booth.hall_id)
            notify(recipients, notices.BOOTH_APPROVED.name, params={"fair": fair.title, "booth": booth.code,
                                                                    "hall": hall.name},
                   link=link, key=f"booth_application:{application.id}:approved")
        else:
            application.status, application.reason = domain.BOOTH_REJECTED, (reason or "").strip() or None
            notify(recipients, notices.BOOTH_REJECTED.name, params={"fair": fair.title,
                                                                    "reason": application.reason or "—"},
                   link=link, key=f"booth_application:{application.id}:rejected")
        uow.commit()
        return {"status": application.status, "booth": booth.code if booth else None}


def _booth_code(booth_id: int | None) -> str | None:
    return None if booth_id is None else db.session.get(Booth, booth_id).code


def _free_booth(fair_id: int, hall_code: str | None) -> Booth | None:
    query = (select(Booth).join(FairHall, FairHall.id == Booth.hall_id)
             .where(Booth.fair_id == fair_id, Booth.employer_id.is_(None))
             .order_by(FairHall.code, Booth.row, Booth.col).with_for_update(of=Booth))
    if hall_code:
        found = db.session.execute(query.where(FairHall.code == hall_code).limit(1)).scalar_one_or_none()
        if found is not None:
            return found
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def move_booth(application_id: int, booth_code: str) -> None:
    """Staff move an approved employer to another free booth of the same fair (before its queue started)."""
    with unit_of_work() as uow:
        application = uow.get(BoothApplication, application_id)
        if application is None or application.status != domain.BOOTH_APPROVED:
            raise FairError(_l("Only an approved booth application has a booth."))
        if uow.execute(select(QueueTicket.id).where(QueueTicket.booth_id == application.booth_id).limit(1)).first():
            raise FairError(_l("Students have queued at this booth already; it cannot move."))
        target = uow.execute(select(Booth).where(Booth.fair_id == application.fair_id,
                                                 Booth.code == booth_code.strip().upper()).with_for_update()
                             ).scalar_one_or_none()
        if target is None or target.employer_id is not None:
            raise FairError(_l("Choose a free booth of this fair."), {"booth": "choice"})
        current = uow.get(Booth, application.booth_id)
        current.employer_id = None
        uow.flush()
        target.employer_id, application.booth_id = application.employer_id, target.id
        uow.commit()
