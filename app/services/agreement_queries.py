"""Reading agreements for people: who may see which agreement, the list with filters, the detail page.

The object rules are plain functions over a `Principal` and `AgreementFacts` (no Flask, no session);
`agreement_clause` turns the same rules into a SQL filter so that the list and the export never show a row
the detail page would refuse:

- a student sees his own agreements;
- an employer user sees his organisation's;
- a counselor sees those of students of his colleges (Student.college_id in principal.college_ids);
- career-office staff and admins (`agreement.view_all`) see all.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, false, func, or_, select, true

from app.models import Agreement, AgreementDocument, College, Employer, EvidenceEntry, Major, Student, User
from app.models.agreement import OPEN_STATUSES
from app.platform.extensions import db
from app.services.access import Principal

STATUSES = ("offered", "accepted", "in_review", "signing", "in_force", "declined", "expired", "revoked",
            "rescinded")
PAGE_SIZE = 50
EXPORT_LIMIT = 100_000  # rows in one Excel export; a larger one is refused with a message, never cut short


# -- object rules (pure) ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgreementFacts:
    student_id: int
    employer_id: int
    college_id: int | None
    status: str


def _scopes(principal: Principal) -> set[str]:
    return {role.scope for role in principal._roles()}


def can_see_agreement(principal: Principal, facts: AgreementFacts) -> bool:
    if not principal.can("agreement.view"):
        return False
    if principal.can("agreement.view_all"):
        return True
    if facts.student_id == principal.id:
        return True
    scopes = _scopes(principal)
    if "employer" in scopes and principal.employer_id is not None and facts.employer_id == principal.employer_id:
        return True
    return "college" in scopes and facts.college_id is not None and facts.college_id in principal.college_ids


def is_student_party(principal: Principal, facts: AgreementFacts) -> bool:
    return facts.student_id == principal.id


def is_employer_party(principal: Principal, facts: AgreementFacts) -> bool:
    return (principal.employer_id is not None and facts.employer_id == principal.employer_id
            and "employer" in _scopes(principal))


def can_download(principal: Principal, facts: AgreementFacts) -> bool:
    """The signed PDF: the three parties (student, employer, the university's career office)."""
    return (principal.can("agreement.download") and can_see_agreement(principal, facts)
            and (is_student_party(principal, facts) or is_employer_party(principal, facts)
                 or principal.can("agreement.view_all")))


def can_request_rescission(principal: Principal, facts: AgreementFacts) -> bool:
    return (principal.can("agreement.rescind") and facts.status == "in_force"
            and (is_student_party(principal, facts) or is_employer_party(principal, facts)))


def can_revoke(principal: Principal, facts: AgreementFacts) -> bool:
    """The employer may withdraw its offer until the agreement is complete (in force)."""
    return principal.can("agreement.issue") and facts.status in OPEN_STATUSES and is_employer_party(principal, facts)


def should_record_view(principal: Principal, facts: AgreementFacts, evidence: list) -> bool:
    """The student's first look at the agreement in each status goes into the evidence chain ("viewed")."""
    return is_student_party(principal, facts) and not any(
        e.act == "viewed" and e.actor_id == principal.id and (e.details or {}).get("status") == facts.status
        for e in evidence)


def reveals_personal_data(principal: Principal, facts: AgreementFacts | None = None) -> bool:
    """Full ID and phone numbers: roles that need them (staff, admin), and the student's own."""
    return principal.can("agreement.personal_data") or (facts is not None and facts.student_id == principal.id)


def agreement_clause(principal: Principal) -> ColumnElement:
    """The SQL form of `can_see_agreement`; the query must join Student on Agreement.student_id."""
    if not principal.can("agreement.view"):
        return false()
    if principal.can("agreement.view_all"):
        return true()
    parts = [Agreement.student_id == principal.id]
    scopes = _scopes(principal)
    if "employer" in scopes and principal.employer_id is not None:
        parts.append(Agreement.employer_id == principal.employer_id)
    if "college" in scopes and principal.college_ids:
        parts.append(Student.college_id.in_(sorted(principal.college_ids)))
    return or_(*parts)


# -- lists ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    college_id: int | None = None
    major_id: int | None = None
    status: str | None = None
    employer_id: int | None = None
    q: str | None = None  # student number, student name or agreement number

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        def number(name: str) -> int | None:
            value = (args.get(name) or "").strip()
            return int(value) if value.isdigit() and len(value) < 10 else None

        status = args.get("status") or None
        return cls(college_id=number("college"), major_id=number("major"),
                   status=status if status in STATUSES else None, employer_id=number("employer"),
                   q=(args.get("q") or "").strip()[:60] or None)

    def as_args(self) -> dict[str, str]:
        pairs = {"college": self.college_id, "major": self.major_id, "status": self.status,
                 "employer": self.employer_id, "q": self.q}
        return {k: str(v) for k, v in pairs.items() if v not in (None, "")}


def _rows_query(principal: Principal, filters: Filters):
    query = (select(Agreement.id, Agreement.number, Agreement.status, Agreement.terms, Agreement.offered_at,
                    Agreement.response_deadline, Agreement.in_force_at, Agreement.ended_at,
                    User.display_name.label("student_name"), User.phone.label("student_phone"),
                    User.email.label("student_email"), Student.student_no, Student.gender, Student.id_number,
                    Student.degree, Student.graduation_year, College.name.label("college"),
                    Major.name.label("major"), Employer.name.label("employer"),
                    Employer.credit_code.label("employer_credit_code"))
             .join(Student, Student.user_id == Agreement.student_id)
             .join(User, User.id == Agreement.student_id)
             .join(College, College.id == Student.college_id)
             .join(Major, Major.id == Student.major_id)
             .join(Employer, Employer.id == Agreement.employer_id)
             .where(agreement_clause(principal)))
    if filters.college_id is not None:
        query = query.where(Student.college_id == filters.college_id)
    if filters.major_id is not None:
        query = query.where(Student.major_id == filters.major_id)
    if filters.status:
        query = query.where(Agreement.status == filters.status)
    if filters.employer_id is not None:
        query = query.where(Agreement.employer_id == filters.employer_id)
    if filters.q:
        like = f"%{filters.q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Student.student_no.like(like), User.display_name.like(like),
                                Agreement.number.like(like)))
    return query


@dataclass
class AgreementPage:
    rows: list
    total: int
    page: int
    pages: int


def list_agreements(principal: Principal, filters: Filters, page: int = 1, page_size: int = PAGE_SIZE) -> AgreementPage:
    query = _rows_query(principal, filters)
    total = _count(query)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = db.session.execute(query.order_by(Agreement.id.desc()).limit(page_size)
                              .offset((page - 1) * page_size)).all()
    return AgreementPage(rows, total, page, pages)


def _count(query) -> int:
    return db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def export_count(principal: Principal, filters: Filters) -> int:
    return _count(_rows_query(principal, filters))


def export_rows(principal: Principal, filters: Filters) -> Iterator:
    """Every row of the export, streamed from the database in batches."""
    return db.session.execute(_rows_query(principal, filters).order_by(Agreement.id),
                              execution_options={"yield_per": 2000})


def filter_choices(principal: Principal) -> dict[str, list]:
    """Colleges, majors and employers to filter by: only those the principal could see rows of."""
    colleges = select(College.id, College.name).order_by(College.code)
    majors = select(Major.id, Major.name, Major.college_id).order_by(Major.code)
    employers = select(Employer.id, Employer.name).order_by(Employer.name)
    if not principal.can("agreement.view_all"):
        scopes = _scopes(principal)
        if "college" in scopes and principal.college_ids:
            ids = sorted(principal.college_ids)
            colleges, majors = colleges.where(College.id.in_(ids)), majors.where(Major.college_id.in_(ids))
        else:
            colleges, majors = colleges.where(false()), majors.where(false())
        # employers that made the principal's visible agreements
        employers = employers.where(Employer.id.in_(
            select(Agreement.employer_id).join(Student, Student.user_id == Agreement.student_id)
            .where(agreement_clause(principal))))
    return {"colleges": db.session.execute(colleges).all(), "majors": db.session.execute(majors).all(),
            "employers": db.session.execute(employers).all()}


# -- one agreement -------------------------------------------------------------------------------------------

def facts_of(agreement_id: int) -> tuple[Agreement, AgreementFacts] | tuple[None, None]:
    row = db.session.execute(
        select(Agreement, Student.college_id).outerjoin(Student, Student.user_id == Agreement.student_id)
        .where(Agreement.id == agreement_id)).first()
    if row is None:
        return None, None
    agreement, college_id = row
    return agreement, AgreementFacts(agreement.student_id, agreement.employer_id, college_id, agreement.status)


def visible_agreement(principal: Principal, agreement_id: int) -> tuple[Agreement, AgreementFacts] | tuple[None, None]:
    agreement, facts = facts_of(agreement_id)
    if agreement is None or not can_see_agreement(principal, facts):
        return None, None
    return agreement, facts


@dataclass
class AgreementDetail:
    agreement: Agreement
    facts: AgreementFacts
    student: Student
    student_user: User
    college: College
    major: Major
    employer: Employer
    issued_by: str | None
    documents: list[AgreementDocument]
    evidence: list[EvidenceEntry]
    reveal_personal: bool
    can_download: bool
    can_request_rescission: bool
    can_revoke: bool
    problems: list[str] | None = field(default=None)  # None: integrity not checked

    @property
    def latest_document(self) -> AgreementDocument | None:
        return self.documents[-1] if self.documents else None

    @property
    def intact(self) -> bool | None:
        return None if self.problems is None else not self.problems


def detail(principal: Principal, agreement_id: int) -> AgreementDetail | None:
    agreement, facts = visible_agreement(principal, agreement_id)
    if agreement is None:
        return None
    session = db.session
    student = session.get(Student, agreement.student_id)
    issued_by = session.execute(select(User.display_name).where(User.id == agreement.created_by)).scalar() \
        if agreement.created_by else None
    documents = session.execute(select(AgreementDocument).where(AgreementDocument.agreement_id == agreement.id)
                                .order_by(AgreementDocument.version)).scalars().all()
    evidence = session.execute(select(EvidenceEntry).where(EvidenceEntry.agreement_id == agreement.id)
                               .order_by(EvidenceEntry.seq)).scalars().all()
    return AgreementDetail(
        agreement=agreement, facts=facts, student=student, student_user=session.get(User, agreement.student_id),
        college=session.get(College, student.college_id), major=session.get(Major, student.major_id),
        employer=session.get(Employer, agreement.employer_id), issued_by=issued_by, documents=list(documents),
        evidence=list(evidence), reveal_personal=reveals_personal_data(principal, facts),
        can_download=can_download(principal, facts), can_request_rescission=can_request_rescission(principal, facts),
        can_revoke=can_revoke(principal, facts))


def employer_of(principal: Principal) -> Employer | None:
    return db.session.get(Employer, principal.employer_id) if principal.employer_id else None

