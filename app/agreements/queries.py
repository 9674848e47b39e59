"""Reading agreements for people: the list with filters, the detail page, documents and evidence.

Who may see which agreement is app/agreements/domain.py (`can_see_agreement`); `agreement_clause` is the same
rule as a SQL filter, so that the list and the export never show a row the detail page would refuse.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select, true

from app import engine
from app.agreements import evidence, pdf
from app.agreements.domain import (
    BUSY_STATUSES,
    IN_FORCE,
    RESCISSION_KEY,
    STATUSES,
    AgreementFacts,
    agreement_key,
    can_download,
    can_request_rescission,
    can_revoke,
    can_see_agreement,
    graduate_contact,
    reveals_personal_data,
    sees_client_addresses,
)
from app.agreements.models import Agreement, AgreementDocument, EvidenceEntry
from app.agreements.notices import offer_key
from app.engine.models import ProcessInstance
from app.forms.uploads import find_reference, references
from app.identity.models import College, Employer, Major, Student, User
from app.identity.principal import Principal
from app.notifications.queries import was_notified
from app.platform import params
from app.platform.extensions import db
from app.platform.uow import read_only

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000  # rows in one Excel export; a larger one is refused with a message, never cut short


def agreement_clause(principal: Principal) -> ColumnElement:
    """The SQL form of `can_see_agreement`; the query must join Student on Agreement.student_id."""
    if not principal.can("agreement.view"):
        return false()
    if principal.can("agreement.view_all"):
        return true()
    parts = [Agreement.student_id == principal.id]
    if "employer" in principal.scopes and principal.employer_id is not None:
        parts.append(Agreement.employer_id == principal.employer_id)
    if "college" in principal.scopes and principal.college_ids:
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
        return cls(college_id=params.integer(args, "college"), major_id=params.integer(args, "major"),
                   status=params.choice(args, "status", STATUSES), employer_id=params.integer(args, "employer"),
                   q=params.text(args, "q", 60))

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
        if "college" in principal.scopes and principal.college_ids:
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
    reveal_addresses: bool
    can_download: bool
    can_request_rescission: bool
    can_revoke: bool
    attachments: list[dict] = field(default_factory=list)  # files of its rescission (letter, receipt)
    problems: list[str] | None = field(default=None)  # None: integrity not checked

    @property
    def contact(self) -> tuple[str, str]:
        """(phone, e-mail) of the graduate for this agreement."""
        return graduate_contact(self.agreement.terms, self.student_user.phone, self.student_user.email)

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
        reveal_addresses=sees_client_addresses(principal),
        can_download=can_download(principal, facts), can_request_rescission=can_request_rescission(principal, facts),
        can_revoke=can_revoke(principal, facts), attachments=rescission_files(agreement.id))


def rescission_files(agreement_id: int) -> list[dict]:
    """The files uploaded in this agreement's rescissions (the penalty receipt or rescission letter), oldest
    first: upload references from each rescission process's data."""
    instance_ids = db.session.execute(select(ProcessInstance.id).where(
        ProcessInstance.process_key == RESCISSION_KEY, ProcessInstance.business_key == agreement_key(agreement_id))
        .order_by(ProcessInstance.id)).scalars().all()
    return [ref for instance_id in instance_ids for ref in references(engine.get_state(instance_id).data)]


def rescission_file(agreement_id: int, file_id: str) -> dict | None:
    """The reference of one file of this agreement's rescissions (only those are served for it)."""
    return find_reference(rescission_files(agreement_id), file_id)


def agreement_links(agreement_ids) -> dict[int, tuple[str, int | None]]:
    """Status and process instance of these agreements (for areas that started them: their funnels, links)."""
    ids = sorted({int(i) for i in agreement_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(select(Agreement.id, Agreement.status, Agreement.instance_id)
                              .where(Agreement.id.in_(ids))).all()
    return {row.id: (row.status, row.instance_id) for row in rows}


def employer_of(principal: Principal) -> Employer | None:
    return db.session.get(Employer, principal.employer_id) if principal.employer_id else None



def student_is_busy(student_user_id: int, except_agreement_id: int | None = None) -> bool:
    """True while the student has an agreement in progress or in force: other invitations are view-only."""
    query = select(Agreement.id).where(Agreement.student_id == student_user_id,
                                       Agreement.status.in_(BUSY_STATUSES))
    if except_agreement_id is not None:
        query = query.where(Agreement.id != except_agreement_id)
    return db.session.execute(query.limit(1)).first() is not None


# -- documents and evidence ----------------------------------------------------------------------------------

class DocumentUnreadable(Exception):
    """The stored file is missing or no longer matches its recorded hash (the message says which)."""


def latest_document(agreement_id: int) -> AgreementDocument | None:
    return pdf.latest(agreement_id)


def downloadable(principal: Principal, agreement_id: int) -> tuple[Agreement, AgreementDocument] | None:
    """The agreement and its latest PDF when `principal` may download it (the download route's rule, also for
    printing it at a print robot), else None."""
    agreement, facts = visible_agreement(principal, agreement_id)
    if agreement is None or not can_download(principal, facts):
        return None
    doc = latest_document(agreement_id)
    return (agreement, doc) if doc is not None else None


def signed_documents_of(principal: Principal) -> list[tuple[Agreement, AgreementDocument]]:
    """The principal's own agreements (as the student party) whose latest PDF carries a signature and that
    they may download: what a student can print, newest first."""
    ids = db.session.execute(select(Agreement.id).where(Agreement.student_id == principal.id)
                             .order_by(Agreement.id.desc()).limit(20)).scalars().all()
    found = [downloadable(principal, agreement_id) for agreement_id in ids]
    return [pair for pair in found if pair is not None and pair[1].kind.startswith("signed")]


def document_bytes(doc: AgreementDocument) -> bytes:
    try:
        return pdf.read(doc)
    except pdf.DocumentError as err:
        raise DocumentUnreadable(str(err)) from None


def document_version_bytes(document_id: int, sha256: str) -> bytes:
    """The bytes of one stored version of an agreement's document, as it was when chosen (its hash): for
    other areas that send it somewhere (a print robot). DocumentUnreadable when that version is gone."""
    with read_only():
        doc = db.session.get(AgreementDocument, document_id)
        if doc is None or doc.sha256 != sha256:
            raise DocumentUnreadable("the document version asked for is gone")
        return document_bytes(doc)


def evidence_problems(agreement_id: int | None = None) -> list[str]:
    """Human-readable problems of the evidence (one agreement, or all); empty = intact. A read on its own:
    the transaction (and SQLite's lock) ends with it."""
    with read_only():
        return evidence.verify(agreement_id)


def evidence_counts() -> tuple[int, int]:
    """(agreements, evidence entries)."""
    with read_only():
        return evidence.count()


def signature_report(content: bytes):
    """Who signed an uploaded PDF, when, whether it is intact and trusted by the installation's CA (a
    documents.verify.VerificationReport). Raises on a file pyHanko cannot read."""
    from documents.verify import verify_pdf

    return verify_pdf(content, trust_roots=pdf.trust_roots())


def offer_announced(agreement_id: int) -> bool:
    """Whether the student was told about the offer (the notification was recorded)."""
    student_id = db.session.execute(select(Agreement.student_id).where(Agreement.id == agreement_id)).scalar()
    return student_id is not None and was_notified(student_id, offer_key(agreement_id))


def in_force_of(student_user_id: int) -> list[tuple[int, str | None, int, str]]:
    """The student's agreements in force: (id, number, employer id, employer name), newest first (evidence
    of a destination in the archives area)."""
    rows = db.session.execute(
        select(Agreement.id, Agreement.number, Agreement.employer_id, Employer.name)
        .join(Employer, Employer.id == Agreement.employer_id)
        .where(Agreement.student_id == student_user_id, Agreement.status == IN_FORCE)
        .order_by(Agreement.id.desc()))
    return [tuple(r) for r in rows]


def student_history(student_user_id: int) -> list[tuple]:
    """A student's agreements for the archive's timeline: (moment offered, number, employer name, status,
    moment in force), oldest first."""
    rows = db.session.execute(
        select(Agreement.offered_at, Agreement.number, Employer.name, Agreement.status, Agreement.in_force_at)
        .join(Employer, Employer.id == Agreement.employer_id)
        .where(Agreement.student_id == student_user_id).order_by(Agreement.offered_at))
    return [tuple(r) for r in rows]


def report_rows(offered_from: datetime | None, offered_to: datetime | None,
                college_ids: frozenset[int] | None = None) -> list:
    """For the office's agreement report: (college id, college, status, offered_at, in_force_at) of the
    agreements offered in [offered_from, offered_to), of the students of `college_ids` (None: every college)."""
    query = (select(Student.college_id, College.name.label("college"), Agreement.status, Agreement.offered_at,
                    Agreement.in_force_at)
             .join(Student, Student.user_id == Agreement.student_id).join(College, College.id == Student.college_id))
    if offered_from is not None:
        query = query.where(Agreement.offered_at >= offered_from)
    if offered_to is not None:
        query = query.where(Agreement.offered_at < offered_to)
    if college_ids is not None:
        query = query.where(Student.college_id.in_(list(college_ids)))
    return db.session.execute(query).all()


def counts_on(start: datetime, end: datetime) -> dict[str, int]:
    """Agreements offered and agreements that came into force in [start, end) (the big screen's day)."""
    offered = db.session.execute(select(func.count()).select_from(Agreement).where(
        Agreement.offered_at >= start, Agreement.offered_at < end)).scalar_one()
    signed = db.session.execute(select(func.count()).select_from(Agreement).where(
        Agreement.in_force_at >= start, Agreement.in_force_at < end)).scalar_one()
    return {"offered": offered, "signed": signed}
