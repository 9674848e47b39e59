"""The read side of the archives: lists, a student's archive and timeline, and the destination figures other
parts read (the reporting area reads `destinations_at` and `destination_counts`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, literal, or_, select

from app.archives import domain
from app.archives.models import Archive, ArchiveRecord, Destination, ImportRun
from app.identity.models import College, Major, Student, StudentClass, User
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
    query = (select(*columns, func.count().label("graduates"), placed.label("placed"),
                    domestic.label("study_domestic"), abroad.label("study_abroad"))
             .select_from(Student).join(College, College.id == Student.college_id)
             .join(Major, Major.id == Student.major_id).outerjoin(Destination, _in_force_at(moment)))
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
