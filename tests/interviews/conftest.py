"""Fixtures of the recruiting tests: a fair of its own per test (open now, halls, booths with employers) and
students to queue, made with plain inserts (fast, unique names, no passwords)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from app.identity.models import College, Employer, Major, Student, User, UserRole
from app.interviews import domain
from app.interviews.models import Booth, FairHall, JobFair
from app.platform.extensions import db

CODES = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code() -> str:
    """A valid, unique unified social credit code (GB 32100-2015 check character)."""
    body = "91310000" + "".join(CODES[b % 31] for b in uuid.uuid4().bytes[:9])
    check = (31 - sum(CODES.index(c) * w for c, w in zip(body, WEIGHTS)) % 31) % 31
    return body + CODES[check]


@dataclass
class Fair:
    id: int
    booths: list[int]
    halls: list[int]
    employers: list[int]                  # per booth
    recruiters: list[int]                 # an employer user per booth
    students: list[int] = field(default_factory=list)


def _users(n: int, roles: tuple[str, ...], employer_id: int | None = None) -> list[int]:
    tag = uuid.uuid4().hex[:8]
    ids = []
    for i in range(n):
        user = User(username=f"t{tag}{i}", display_name=f"测试{i}", employer_id=employer_id)
        user.roles = [UserRole(role=r) for r in roles]
        db.session.add(user)
        db.session.flush()
        ids.append(user.id)
    return ids


def add_students(n: int) -> list[int]:
    """n new students (users with a student record) in the demo's first major."""
    tag = uuid.uuid4().hex[:8]
    major = db.session.execute(select(Major)).scalars().first()
    if major is None:
        college = College(code=f"C{tag[:6]}", name="测试学院")
        db.session.add(college)
        db.session.flush()
        major = Major(code=f"M{tag[:6]}", name="测试专业", college_id=college.id)
        db.session.add(major)
        db.session.flush()
    users = db.session.execute(insert(User.__table__).returning(User.__table__.c.id), [
        {"username": f"s{tag}{i}", "display_name": f"学生{i}", "active": True,
         "created_at": datetime.now(timezone.utc)} for i in range(n)]).scalars().all()
    db.session.execute(insert(UserRole.__table__), [{"user_id": u, "role": "student"} for u in users])
    db.session.execute(insert(Student.__table__), [
        {"user_id": u, "student_no": f"{tag}{i:05d}", "college_id": major.college_id, "major_id": major.id,
         "degree": "本科", "graduation_year": 2026} for i, u in enumerate(users)])
    db.session.commit()
    return list(users)


def make_fair(booths: int = 2, students: int = 0, halls: int = 1, no_show_minutes: int = 3,
              pause_minutes: int = 5, starts: datetime | None = None) -> Fair:
    """An open fair happening now, `halls` halls sharing `booths` booths, each booth with its own approved
    employer and recruiter; `students` students (not registered: check-in registers them)."""
    now = datetime.now(timezone.utc)
    starts = starts or now - timedelta(hours=1)
    staff = _users(1, ("staff",))[0]
    fair = JobFair(title=f"测试双选会 {uuid.uuid4().hex[:6]}", day=date.today(), starts_at=starts,
                   ends_at=starts + timedelta(hours=10), venue="体育馆", capacity=100_000, registered=0,
                   booth_deadline=date.today(), no_show_minutes=no_show_minutes, pause_minutes=pause_minutes,
                   status=domain.FAIR_OPEN, created_by=staff)
    db.session.add(fair)
    db.session.flush()
    hall_ids, booth_ids, employer_ids, recruiters = [], [], [], []
    per_hall = -(-booths // halls)
    for h in range(halls):
        hall = FairHall(fair_id=fair.id, code="ABCDEFGHJK"[h], name=f"{h + 1}号馆", rows=1, cols=per_hall)
        db.session.add(hall)
        db.session.flush()
        hall_ids.append(hall.id)
        for c in range(per_hall):
            if len(booth_ids) == booths:
                break
            employer = Employer(name=f"测试单位{uuid.uuid4().hex[:6]}", credit_code=credit_code(), status="approved")
            db.session.add(employer)
            db.session.flush()
            booth = Booth(fair_id=fair.id, hall_id=hall.id, code=domain.booth_code(hall.code, c + 1), row=0, col=c,
                          employer_id=employer.id)
            db.session.add(booth)
            db.session.flush()
            booth_ids.append(booth.id)
            employer_ids.append(employer.id)
            recruiters.append(_users(1, ("employer",), employer.id)[0])
    db.session.commit()
    made = Fair(fair.id, booth_ids, hall_ids, employer_ids, recruiters)
    if students:
        made.students = add_students(students)
    return made


@pytest.fixture
def fair_factory(ctx):
    return make_fair
