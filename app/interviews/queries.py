"""Reading recruiting for people: position search and detail, applications, fairs and their booth maps,
invitations. Who may see what is domain.py; the list queries apply the same rules as SQL filters, so a list
never shows a row its detail page would refuse. The live queue's reads are queue_queries.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true

from app.agreements import queries as agreement_queries
from app.employers import queries as employers
from app.engine.models import OpenTask, OpenTaskOwner
from app.identity.models import College, Employer, Major, Student, User
from app.identity.principal import Principal
from app.interviews import domain, text_search, wording
from app.interviews.models import (
    Application, Booth, BoothApplication, FairHall, FairRegistration, Invitation, JobFair, Position, PositionMajor,
    PositionToken, ResumeAccess,
)
from app.platform.extensions import db

PAGE_SIZE = 20


@dataclass
class Page:
    rows: list
    total: int
    page: int
    pages: int


def _page(query, page: int, order, size: int = PAGE_SIZE) -> Page:
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = db.session.execute(query.order_by(*order).limit(size).offset((page - 1) * size)).all()
    return Page(rows, total, page, pages)


# -- positions -----------------------------------------------------------------------------------------------

def position_clause(principal: Principal) -> ColumnElement:
    """The SQL form of domain.can_see_position."""
    if not principal.can("position.view"):
        return false()
    if principal.can("position.review"):
        return true()
    parts = [Position.status.in_((domain.PUBLISHED, domain.CLOSED))]
    if "employer" in principal.scopes and principal.employer_id is not None:
        parts.append(Position.employer_id == principal.employer_id)
    return or_(*parts)


@dataclass(frozen=True)
class Search:
    q: str = ""
    city: str | None = None
    major_id: int | None = None
    degree: str | None = None   # a student's degree: positions open to it

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Search:
        major = (args.get("major") or "").strip()
        degree = args.get("degree") or None
        city = (args.get("city") or "").strip()[:40] or None
        return cls(q=(args.get("q") or "")[:100], city=city,
                   major_id=int(major) if major.isascii() and major.isdigit() and len(major) < 10 else None,
                   degree=degree if degree in domain.DEGREES else None)

    def as_args(self) -> dict[str, str]:
        pairs = {"q": self.q, "city": self.city, "major": self.major_id, "degree": self.degree}
        return {k: str(v) for k, v in pairs.items() if v not in (None, "")}


def matching_position_ids(query: str):
    """The positions whose normalised text contains every term of `query` (a SELECT of ids), through the token
    index on both databases; None when the query has no terms."""
    terms = text_search.terms(query)
    if not terms:
        return None
    tokens = sorted(set().union(*(text_search.term_tokens(t) for t in terms)))
    candidates = select(Position.id)
    if tokens:
        candidates = select(PositionToken.position_id.label("id")).where(PositionToken.token.in_(tokens)).group_by(
            PositionToken.position_id).having(func.count() == len(tokens))
    ids = candidates.subquery()
    checks = [Position.search_text.like(text_search.like_pattern(t), escape="\\") for t in terms]
    return select(Position.id).where(Position.id.in_(select(ids.c.id)), *checks)


def search_positions(principal: Principal, search: Search, page: int = 1, today: date | None = None) -> Page:
    """Published positions still taking applications, newest first, filtered."""
    today = today or date.today()
    query = (select(Position.id, Position.title, Position.city, Position.pay_min, Position.pay_max, Position.degree,
                    Position.headcount, Position.deadline, Position.published_at, Employer.name.label("employer"))
             .join(Employer, Employer.id == Position.employer_id)
             .where(Position.status == domain.PUBLISHED, or_(Position.deadline.is_(None), Position.deadline >= today),
                    position_clause(principal)))
    ids = matching_position_ids(search.q)
    if ids is not None:
        query = query.where(Position.id.in_(ids))
    if search.city:
        query = query.where(Position.city == search.city)
    if search.major_id is not None:
        any_major = ~exists(select(PositionMajor.major_id).where(PositionMajor.position_id == Position.id))
        this_major = exists(select(PositionMajor.major_id).where(PositionMajor.position_id == Position.id,
                                                                 PositionMajor.major_id == search.major_id))
        query = query.where(or_(any_major, this_major))
    if search.degree:
        query = query.where(Position.degree.in_(domain.degrees_accepted_by(search.degree)))
    return _page(query, page, (Position.published_at.desc(), Position.id.desc()))


def search_choices() -> dict:
    cities = db.session.execute(select(Position.city).where(Position.status == domain.PUBLISHED).distinct()
                                .order_by(Position.city)).scalars().all()
    majors = db.session.execute(select(Major.id, Major.name).order_by(Major.code)).all()
    return {"cities": cities, "majors": majors, "degrees": domain.DEGREES}


def student_degree(user_id: int) -> str | None:
    return db.session.execute(select(Student.degree).where(Student.user_id == user_id)).scalar()


def my_positions(principal: Principal, page: int = 1) -> Page:
    query = (select(Position.id, Position.title, Position.status, Position.city, Position.deadline, Position.flags,
                    Position.created_at, Position.published_at,
                    select(func.count(Application.id)).where(Application.position_id == Position.id)
                    .correlate(Position).scalar_subquery().label("applicants"))
             .where(Position.employer_id == (principal.employer_id or -1)))
    return _page(query, page, (Position.id.desc(),))


@dataclass
class PositionDetail:
    position: Position
    employer: Employer
    employer_approved: bool
    majors: list[str]
    flags: list[wording.Flag]
    my_application: Application | None
    applicants: int
    can_edit: bool
    is_owner: bool


def position_detail(principal: Principal, position_id: int) -> PositionDetail | None:
    position = db.session.get(Position, position_id)
    if position is None or not domain.can_see_position(principal, position.status, position.employer_id):
        return None
    employer = employers.employer(position.employer_id)
    majors = list(db.session.execute(select(Major.name).join(PositionMajor, PositionMajor.major_id == Major.id)
                                     .where(PositionMajor.position_id == position_id).order_by(Major.code)).scalars())
    mine = db.session.execute(select(Application).where(Application.position_id == position_id,
                                                        Application.student_id == principal.id)).scalar_one_or_none()
    is_owner = domain.is_employer_of(principal, position.employer_id)
    count = db.session.execute(select(func.count(Application.id)).where(Application.position_id == position_id)
                               ).scalar_one() if (is_owner or principal.can("position.review")) else 0
    return PositionDetail(position, employer, employers.is_approved(employer), majors,
                          [wording.Flag(f["category"], f["text"]) for f in position.flags or []], mine, count,
                          domain.can_edit_position(principal, position.status, position.employer_id), is_owner)


def position_majors(position_id: int) -> list[int]:
    return list(db.session.execute(select(PositionMajor.major_id).where(PositionMajor.position_id == position_id))
                .scalars())


def editable_position(principal: Principal, position_id: int) -> Position | None:
    position = db.session.get(Position, position_id)
    if position is None or not domain.can_edit_position(principal, position.status, position.employer_id):
        return None
    return position


def majors() -> list:
    return db.session.execute(select(Major.id, Major.name, College.name.label("college"))
                              .join(College, College.id == Major.college_id).order_by(Major.code)).all()


# -- applications ------------------------------------------------------------------------------------------------

def applicants(principal: Principal, position_id: int) -> list | None:
    """The applications for a position, for its employer and the career office (None: not allowed)."""
    position = db.session.get(Position, position_id)
    if position is None or not (domain.is_employer_of(principal, position.employer_id)
                                or principal.can("position.review")):
        return None
    return db.session.execute(
        select(Application, User.display_name, Student.student_no, Student.degree, Student.graduation_year,
               College.name.label("college"), Major.name.label("major"))
        .join(User, User.id == Application.student_id).join(Student, Student.user_id == Application.student_id)
        .join(College, College.id == Student.college_id).join(Major, Major.id == Student.major_id)
        .where(Application.position_id == position_id).order_by(Application.applied_at)).all()


def my_applications(principal: Principal) -> list:
    rows = db.session.execute(
        select(Application, Position.title, Employer.name.label("employer"))
        .join(Position, Position.id == Application.position_id).join(Employer, Employer.id == Application.employer_id)
        .where(Application.student_id == principal.id).order_by(Application.applied_at.desc())).all()
    views = _resume_views([row.Application.id for row in rows])
    return [(row, views.get(row.Application.id, [])) for row in rows]


def _resume_views(application_ids: list[int]) -> dict[int, list]:
    if not application_ids:
        return {}
    found: dict[int, list] = {}
    for row in db.session.execute(
            select(ResumeAccess.application_id, ResumeAccess.at, User.display_name, Employer.name.label("employer"))
            .join(User, User.id == ResumeAccess.user_id).outerjoin(Employer, Employer.id == User.employer_id)
            .where(ResumeAccess.application_id.in_(application_ids)).order_by(ResumeAccess.at.desc())):
        found.setdefault(row.application_id, []).append(row)
    return found


def visible_application(principal: Principal, application_id: int) -> Application | None:
    application = db.session.get(Application, application_id)
    if application is None or not domain.can_see_application(principal, application.student_id,
                                                            application.employer_id):
        return None
    return application


def student_number_of(student_id: int) -> str | None:
    return db.session.execute(select(Student.student_no).where(Student.user_id == student_id)).scalar()


def student_by_number(student_no: str) -> tuple[int, str] | None:
    row = db.session.execute(select(Student.user_id, User.display_name).join(User, User.id == Student.user_id)
                             .where(Student.student_no == (student_no or "").strip(), User.active.is_(True))).first()
    return (row.user_id, row.display_name) if row else None


# -- fairs ----------------------------------------------------------------------------------------------------------

def fairs(principal: Principal) -> list:
    query = select(JobFair).order_by(JobFair.day.desc(), JobFair.id.desc())
    if not domain.is_office(principal):
        query = query.where(JobFair.status != domain.FAIR_DRAFT)
    return list(db.session.execute(query).scalars())


@dataclass
class HallMap:
    hall: FairHall
    grid: list[list]  # rows of booth rows (Booth, employer name or None)


@dataclass
class FairDetail:
    fair: JobFair
    halls: list[HallMap]
    registered: bool
    my_booth_application: BoothApplication | None
    my_booth: Booth | None
    booth_applications: list = field(default_factory=list)  # for the office


def visible_fair(principal: Principal, fair_id: int) -> JobFair | None:
    fair = db.session.get(JobFair, fair_id)
    if fair is None or (fair.status == domain.FAIR_DRAFT and not domain.is_office(principal)):
        return None
    return fair


def fair_detail(principal: Principal, fair_id: int) -> FairDetail | None:
    fair = visible_fair(principal, fair_id)
    if fair is None:
        return None
    halls = list(db.session.execute(select(FairHall).where(FairHall.fair_id == fair_id).order_by(FairHall.code))
                 .scalars())
    booths = db.session.execute(select(Booth, Employer.name).outerjoin(Employer, Employer.id == Booth.employer_id)
                                .where(Booth.fair_id == fair_id)).all()
    maps = []
    for hall in halls:
        grid = [[None] * hall.cols for _ in range(hall.rows)]
        for booth, name in booths:
            if booth.hall_id == hall.id:
                grid[booth.row][booth.col] = (booth, name)
        maps.append(HallMap(hall, grid))
    registered = db.session.execute(select(FairRegistration.id).where(
        FairRegistration.fair_id == fair_id, FairRegistration.student_id == principal.id)).first() is not None
    mine = my_booth = None
    if principal.employer_id is not None:
        mine = db.session.execute(select(BoothApplication).where(
            BoothApplication.fair_id == fair_id, BoothApplication.employer_id == principal.employer_id)
            .order_by(BoothApplication.id.desc()).limit(1)).scalar_one_or_none()
        my_booth = db.session.execute(select(Booth).where(Booth.fair_id == fair_id,
                                                          Booth.employer_id == principal.employer_id)).scalar_one_or_none()
    office = []
    if domain.is_office(principal):
        office = db.session.execute(select(BoothApplication, Employer.name, Booth.code)
                                    .join(Employer, Employer.id == BoothApplication.employer_id)
                                    .outerjoin(Booth, Booth.id == BoothApplication.booth_id)
                                    .where(BoothApplication.fair_id == fair_id).order_by(BoothApplication.id)).all()
    return FairDetail(fair, maps, registered, mine, my_booth, office)


def booth_positions(booth_id: int) -> list:
    """The published positions the booth's employer brought (its approved application's), else all of its
    published positions: what an offer at the booth can be for."""
    booth = db.session.get(Booth, booth_id)
    if booth is None or booth.employer_id is None:
        return []
    brought = db.session.execute(select(BoothApplication.positions).where(
        BoothApplication.booth_id == booth_id, BoothApplication.status == domain.BOOTH_APPROVED)).scalar() or []
    query = select(Position.id, Position.title, Position.pay_min, Position.pay_max).where(
        Position.employer_id == booth.employer_id, Position.status == domain.PUBLISHED)
    if brought:
        query = query.where(Position.id.in_(brought))
    return db.session.execute(query.order_by(Position.id)).all()


def employer_open_positions(employer_id: int | None) -> list:
    if employer_id is None:
        return []
    return db.session.execute(select(Position.id, Position.title).where(
        Position.employer_id == employer_id, Position.status == domain.PUBLISHED).order_by(Position.id)).all()


def employer_booths(employer_id: int | None) -> list:
    """The employer's booths at open fairs (where an invitation can place an interview)."""
    if employer_id is None:
        return []
    return db.session.execute(select(Booth.id, Booth.code, JobFair.title, JobFair.day)
                              .join(JobFair, JobFair.id == Booth.fair_id)
                              .where(Booth.employer_id == employer_id, JobFair.status == domain.FAIR_OPEN)
                              .order_by(JobFair.day, Booth.code)).all()


# -- invitations ------------------------------------------------------------------------------------------------------

def invitation_clause(principal: Principal) -> ColumnElement:
    """The SQL form of domain.can_see_invitation."""
    if not principal.can("invitation.view"):
        return false()
    if domain.is_office(principal):
        return true()
    parts = [Invitation.student_id == principal.id]
    if "employer" in principal.scopes and principal.employer_id is not None:
        parts.append(Invitation.employer_id == principal.employer_id)
    return or_(*parts)


def invitations(principal: Principal, status: str | None, page: int = 1) -> Page:
    query = (select(Invitation.id, Invitation.status, Invitation.slot_start, Invitation.slot_end, Invitation.round,
                    Invitation.place_kind, Invitation.expires_at, Position.title, Employer.name.label("employer"),
                    User.display_name.label("student"))
             .join(Position, Position.id == Invitation.position_id).join(Employer, Employer.id == Invitation.employer_id)
             .join(User, User.id == Invitation.student_id).where(invitation_clause(principal)))
    if status in domain.INVITATION_STATUSES:
        query = query.where(Invitation.status == status)
    return _page(query, page, (Invitation.slot_start.desc(), Invitation.id.desc()))


@dataclass
class InvitationDetail:
    invitation: Invitation
    position: Position
    employer: Employer
    student_name: str
    student_no: str
    place: str
    party: str | None
    my_task: str | None            # the guid of an open task of this invitation the viewer works on
    agreement_status: str | None


def place_text(invitation: Invitation) -> str:
    """Where the interview is, as texts of the process and notifications say it."""
    if invitation.place_kind == domain.PLACE_BOOTH and invitation.booth_id:
        row = db.session.execute(select(Booth.code, FairHall.name, JobFair.title)
                                 .join(FairHall, FairHall.id == Booth.hall_id).join(JobFair, JobFair.id == Booth.fair_id)
                                 .where(Booth.id == invitation.booth_id)).one()
        return f"{row.title} · {row.name} · {row.code}"
    if invitation.place_kind == domain.PLACE_ONLINE:
        return invitation.online_url or ""
    return invitation.room or ""


def party_names(invitation: Invitation) -> dict:
    """Who and what an invitation is about, for notifications."""
    student = db.session.get(User, invitation.student_id)
    employer = db.session.get(Employer, invitation.employer_id)
    position = db.session.get(Position, invitation.position_id)
    return {"student": student.display_name, "employer": employer.name, "position": position.title}


def invitation_detail(principal: Principal, invitation_id: int) -> InvitationDetail | None:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not domain.can_see_invitation(principal, invitation.student_id, invitation.employer_id):
        return None
    student = db.session.execute(select(User.display_name, Student.student_no).join(
        Student, Student.user_id == User.id).where(User.id == invitation.student_id)).one()
    task = None
    if invitation.instance_id is not None:
        task = db.session.execute(select(OpenTask.task_guid).where(
            OpenTask.instance_id == invitation.instance_id,
            or_(OpenTask.assignee_id == principal.id,
                OpenTask.id.in_(select(OpenTaskOwner.open_task_id).where(OpenTaskOwner.user_id == principal.id))))
            .limit(1)).scalar()
    status = None
    if invitation.agreement_id is not None:
        status = agreement_queries.agreement_links([invitation.agreement_id]).get(invitation.agreement_id,
                                                                                   (None, None))[0]
    return InvitationDetail(invitation, db.session.get(Position, invitation.position_id),
                            employers.employer(invitation.employer_id), student.display_name, student.student_no,
                            place_text(invitation),
                            domain.invitation_party(principal, invitation.student_id, invitation.employer_id), task,
                            status)


def open_invitation_exists(student_id: int, position_id: int) -> bool:
    return db.session.execute(select(Invitation.id).where(and_(
        Invitation.student_id == student_id, Invitation.position_id == position_id,
        Invitation.status.in_(domain.OPEN_INVITATION)))).first() is not None


def student_history(student_id: int) -> list[tuple]:
    """A student's applications and interview invitations for the archive's timeline: (kind, moment, position
    title, employer name, status), oldest first."""
    applications = db.session.execute(
        select(Application.applied_at, Position.title, Employer.name, Application.status)
        .join(Position, Position.id == Application.position_id).join(Employer, Employer.id == Application.employer_id)
        .where(Application.student_id == student_id)).all()
    invitations = db.session.execute(
        select(Invitation.slot_start, Position.title, Employer.name, Invitation.status)
        .join(Position, Position.id == Invitation.position_id).join(Employer, Employer.id == Invitation.employer_id)
        .where(Invitation.student_id == student_id)).all()
    rows = [("application", *r) for r in applications] + [("interview", *r) for r in invitations]
    return sorted(rows, key=lambda r: r[1])
