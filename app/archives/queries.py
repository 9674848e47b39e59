"""The read side of the archives: lists, a student's archive and timeline, and the destination figures other
parts read (the reporting area reads `destinations_at` and `destination_counts`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, literal, or_, select, true

from app.agreements import queries as agreement_queries
from app.archives import access, domain
from app.archives.models import Archive, ArchiveRecord, Destination, ImportRun
from app.identity.models import College, Major, Student, StudentClass, User
from app.identity.principal import Principal
from app.interviews import queries as interview_queries
from app.platform.extensions import db

D = Destination.__table__
S = Student.__table__

# what a destination figure can be grouped by (the name -> the column)
DIMENSIONS = {
    "college": College.name, "major": Major.name, "degree": Student.degree, "gender": Student.gender,
    "graduation_year": Student.graduation_year, "source_region": Student.source_region,
    "category": func.coalesce(Destination.category, literal(domain.UNREGISTERED)),
    "region": Destination.region_province, "industry": Destination.industry,
    "employer_kind": Destination.employer_kind,
}


@dataclass(frozen=True)
class DestinationAt:
    """One graduate and the destination in force at the chosen date (category `seeking` when none was)."""
    student_id: int
    student_no: str
    name: str
    gender: str | None
    college_id: int
    college: str
    major_id: int
    major: str
    degree: str
    graduation_year: int
    source_region: str | None
    category: str
    group: str
    placed: bool
    study: str | None            # domestic | abroad for further study
    employer_name: str | None
    employer_kind: str | None
    industry: str | None
    region: str | None
    destination_id: int | None


def end_of(day: date) -> datetime:
    """The last moment of `day` in the office's time zone (a snapshot "on 1 September" includes that day)."""
    return datetime.combine(day + timedelta(days=1), time(0), domain.LOCAL_TZ) - timedelta(microseconds=1)


def _in_force_at(moment: datetime):
    return and_(Destination.student_id == Student.user_id, Destination.status.in_(
        (domain.CONFIRMED, domain.SUPERSEDED)), Destination.effective_at <= moment,
        or_(Destination.superseded_at.is_(None), Destination.superseded_at > moment))


def _graduates(at: date, graduation_year: int | None, college_id: int | None, major_id: int | None,
               degree: str | None):
    moment = end_of(at)
    query = (select(Student, User.display_name, College.name, Major.name, Destination)
             .join(User, User.id == Student.user_id).join(College, College.id == Student.college_id)
             .join(Major, Major.id == Student.major_id)
             .outerjoin(Destination, _in_force_at(moment)))
    if graduation_year is not None:
        query = query.where(Student.graduation_year == graduation_year)
    if college_id is not None:
        query = query.where(Student.college_id == college_id)
    if major_id is not None:
        query = query.where(Student.major_id == major_id)
    if degree is not None:
        query = query.where(Student.degree == degree)
    return query


def destinations_at(at: date, graduation_year: int | None = None, college_id: int | None = None,
                    major_id: int | None = None, degree: str | None = None) -> list[DestinationAt]:
    """Every graduate (of `graduation_year`, or all) with the destination confirmed and in force at the end
    of day `at` (Asia/Shanghai): a later change does not alter a past snapshot. No confirmed destination
    counts as 待就业 (`seeking`), as the official statistics do."""
    rows = db.session.execute(_graduates(at, graduation_year, college_id, major_id, degree)
                              .order_by(Student.student_no))
    out = []
    for student, name, college, major, dest in rows:
        code = dest.category if dest is not None else domain.UNREGISTERED
        cat = domain.category(code)
        out.append(DestinationAt(
            student.user_id, student.student_no, name, student.gender, student.college_id, college,
            student.major_id, major, student.degree, student.graduation_year, student.source_region, code,
            cat.group, cat.placed, cat.study, dest.employer_name if dest else None,
            dest.employer_kind if dest else None, dest.industry if dest else None,
            dest.region_province if dest else None, dest.id if dest else None))
    return out


def destination_counts(at: date, group_by: tuple[str, ...], graduation_year: int | None = None,
                       college_id: int | None = None) -> list[dict]:
    """Graduates, placed ones and further study (domestic, abroad) per group, counted in the database:
    [{"college": "...", "graduates": n, "placed": n, "rate": 0.93, "study_domestic": n, "study_abroad": n}].
    `group_by` names keys of DIMENSIONS."""
    unknown = set(group_by) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown dimensions {sorted(unknown)}")
    moment = end_of(at)
    columns = [DIMENSIONS[name].label(name) for name in group_by]
    placed = func.sum(case((Destination.category.in_(domain.PLACED_CODES), 1), else_=0))
    domestic = func.sum(case((Destination.category == "further_study", 1), else_=0))
    abroad = func.sum(case((Destination.category == "abroad", 1), else_=0))
    query = select(*columns, func.count().label("graduates"), placed.label("placed"),
                   domestic.label("study_domestic"), abroad.label("study_abroad")).select_from(Student)
    # a student always has a college and a major (not null, foreign keys): joined only for their names
    if "college" in group_by:
        query = query.join(College, College.id == Student.college_id)
    if "major" in group_by:
        query = query.join(Major, Major.id == Student.major_id)
    query = query.outerjoin(Destination, _in_force_at(moment))
    if graduation_year is not None:
        query = query.where(Student.graduation_year == graduation_year)
    if college_id is not None:
        query = query.where(Student.college_id == college_id)
    if group_by:
        query = query.group_by(*[DIMENSIONS[name] for name in group_by]).order_by(
            *[DIMENSIONS[name] for name in group_by])
    out = []
    for row in db.session.execute(query).mappings():
        item = dict(row)
        for key in ("placed", "study_domestic", "study_abroad"):
            item[key] = int(item[key] or 0)
        item["rate"] = item["placed"] / item["graduates"] if item["graduates"] else 0.0
        out.append(item)
    return out


def destination_of(student_id: int) -> Destination | None:
    """The student's current registration (the newest one not superseded), whatever its status."""
    return db.session.execute(
        select(Destination).where(Destination.student_id == student_id, Destination.status != domain.SUPERSEDED)
        .order_by(Destination.id.desc()).limit(1)).scalar_one_or_none()


def archive_of(student_id: int) -> Archive | None:
    return db.session.execute(select(Archive).where(Archive.student_id == student_id)).scalar_one_or_none()


def records_of(archive_id: int) -> list[ArchiveRecord]:
    return list(db.session.execute(select(ArchiveRecord).where(ArchiveRecord.archive_id == archive_id)
                                   .order_by(ArchiveRecord.created_at, ArchiveRecord.id)).scalars())


def import_run(run_id: int) -> ImportRun | None:
    return db.session.get(ImportRun, run_id)


def class_of(class_id: int | None) -> StudentClass | None:
    return db.session.get(StudentClass, class_id) if class_id else None


# -- pages ----------------------------------------------------------------------------------------------------

PAGE_SIZE = 50


@dataclass(frozen=True)
class StudentPage:
    rows: list
    total: int
    page: int
    pages: int


def archive_clause(principal: Principal):
    """The students whose archives the principal may see (access.can_see_archive as SQL)."""
    if access.sees_all(principal):
        return true()
    parts = [Student.user_id == principal.id]
    if "counselor" in principal.roles and principal.can("archive.view"):
        parts.append(StudentClass.counselor_id == principal.id)
        if principal.college_ids:
            parts.append(Student.college_id.in_(principal.college_ids))
    return or_(*parts)


def list_students(principal: Principal, q: str = "", graduation_year: int | None = None, page: int = 1
                  ) -> StudentPage:
    query = (select(Student.user_id, Student.student_no, User.display_name, College.name.label("college"),
                    Major.name.label("major"), Student.class_name, Student.degree, Student.graduation_year,
                    Archive.sealed_at, Archive.id.label("archive_id"))
             .join(User, User.id == Student.user_id).join(College, College.id == Student.college_id)
             .join(Major, Major.id == Student.major_id).outerjoin(StudentClass, StudentClass.id == Student.class_id)
             .outerjoin(Archive, Archive.student_id == Student.user_id).where(archive_clause(principal)))
    if q:
        like = f"%{q}%"
        query = query.where(or_(Student.student_no.like(like), User.display_name.like(like),
                                Student.class_name.like(like)))
    if graduation_year:
        query = query.where(Student.graduation_year == graduation_year)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar()
    rows = db.session.execute(query.order_by(Student.student_no).limit(PAGE_SIZE)
                              .offset((page - 1) * PAGE_SIZE)).all()
    return StudentPage(rows, total, page, max(1, -(-total // PAGE_SIZE)))


def student_facts(student_id: int) -> access.StudentFacts | None:
    row = db.session.execute(select(Student.user_id, Student.college_id, StudentClass.counselor_id)
                             .outerjoin(StudentClass, StudentClass.id == Student.class_id)
                             .where(Student.user_id == student_id)).one_or_none()
    return access.StudentFacts(*row) if row else None


@dataclass(frozen=True)
class TimelineEntry:
    moment: datetime
    kind: str          # enrolment | profile | assessment | note | survey | followup | followup_missed | update
                       # | application | interview | agreement | destination
    title: str
    detail: dict


@dataclass(frozen=True)
class ArchiveView:
    student: Student
    name: str
    college: str
    major: str
    klass: StudentClass | None
    counselor: str | None
    phone: str
    email: str | None
    id_number: str
    masked: bool
    archive: Archive | None
    status: str
    destination: Destination | None
    timeline: list[TimelineEntry]
    may_note: bool
    may_request_update: bool


def archive_view(principal: Principal, student_id: int, today: date) -> ArchiveView | None:
    """The archive page of one student, or None when the principal may not see it (a 404 to him)."""
    facts = student_facts(student_id)
    if facts is None or not access.can_see_archive(principal, facts):
        return None
    student, user, college, major = db.session.execute(
        select(Student, User, College.name, Major.name).join(User, User.id == Student.user_id)
        .join(College, College.id == Student.college_id).join(Major, Major.id == Student.major_id)
        .where(Student.user_id == student_id)).one()
    klass = class_of(student.class_id)
    counselor = db.session.get(User, klass.counselor_id).display_name if klass and klass.counselor_id else None
    archive = archive_of(student_id)
    unmasked = access.shows_personal_data(principal, facts)
    timeline = _timeline(student, archive)
    sealed = archive is not None and archive.sealed_at is not None
    return ArchiveView(
        student, user.display_name, college, major, klass, counselor,
        user.phone if unmasked else domain.mask_phone(user.phone), user.email,
        student.id_number if unmasked else domain.mask_id_number(student.id_number), not unmasked, archive,
        domain.archive_status_at(student.enrolment_year or student.graduation_year - 4, student.graduation_year,
                                 today, sealed),
        destination_of(student_id), timeline, access.can_write_note(principal, facts) and not sealed,
        sealed and principal.id == student_id)


def _timeline(student: Student, archive: Archive | None) -> list[TimelineEntry]:
    entries = []
    if archive is not None:
        entries.append(TimelineEntry(archive.created_at, "enrolment", "", {"year": student.enrolment_year}))
        names = dict(db.session.execute(select(User.id, User.display_name).join(
            ArchiveRecord, ArchiveRecord.author_id == User.id).where(ArchiveRecord.archive_id == archive.id)).all())
        for r in records_of(archive.id):
            entries.append(TimelineEntry(r.created_at, r.kind, names.get(r.author_id, ""), r.data))
    for kind, moment, title, employer, status in interview_queries.student_history(student.user_id):
        entries.append(TimelineEntry(moment, kind, title, {"employer": employer, "status": status}))
    for offered, number, employer, status, in_force in agreement_queries.student_history(student.user_id):
        entries.append(TimelineEntry(offered, "agreement", number or "", {"employer": employer, "status": status,
                                                                          "in_force_at": in_force}))
    for d in db.session.execute(select(Destination).where(Destination.student_id == student.user_id)
                                .order_by(Destination.id)).scalars():
        entries.append(TimelineEntry(d.effective_at or d.registered_at, "destination",
                                     domain.category(d.category).label,
                                     {"status": d.status, "employer": d.employer_name or d.school,
                                      "region": d.region_province, "superseded_at": d.superseded_at}))
    return sorted(entries, key=lambda e: e.moment)


def categories() -> list[tuple[str, str, str, bool]]:
    """The destination categories in their official order: (code, group, label, counts as placed)."""
    return [(c.code, c.group, c.label, c.placed) for c in domain.CATEGORIES]


@dataclass(frozen=True)
class Seeking:
    """A graduate without a placed destination: the counselor's list of graduates still 待就业."""
    graduate: DestinationAt
    phone: str
    pending: str | None   # a registration waiting for verification or confirmation


def seeking_graduates(principal: Principal, graduation_year: int, today: date) -> list[Seeking]:
    """The graduates of the year the principal looks after (a counselor: his colleges; staff: all) whose
    destination in force today is not placed (no confirmed one counts as 待就业)."""
    if access.sees_all(principal):
        rows = destinations_at(today, graduation_year=graduation_year)
    elif "counselor" in principal.roles:
        rows = [r for college_id in sorted(principal.college_ids)
                for r in destinations_at(today, graduation_year=graduation_year, college_id=college_id)]
    else:
        return []
    rows = [r for r in rows if not r.placed]
    ids = [r.student_id for r in rows]
    pending, phones = {}, {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        pending |= dict(db.session.execute(select(Destination.student_id, Destination.status).where(
            Destination.student_id.in_(chunk), Destination.status.in_((domain.REGISTERED, domain.VERIFIED)))).all())
        phones |= dict(db.session.execute(select(User.id, User.phone).where(User.id.in_(chunk))).all())
    unmasked = principal.can("archive.personal_data")
    return [Seeking(r, phones.get(r.student_id) if unmasked else domain.mask_phone(phones.get(r.student_id)),
                    pending.get(r.student_id)) for r in rows]
