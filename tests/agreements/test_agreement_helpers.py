"""People, offers and waiting helpers shared by the agreement tests (no tests here)."""
from __future__ import annotations

import random
import string
import time
from datetime import date

import pytest
from sqlalchemy import select

from app import engine
from app.agreements.models import Agreement
from app.engine.models import Incident, Job, OpenTask
from app.identity.models import College, CounselorScope, Employer, Major, Student, User, UserRole
from app.platform.extensions import db
from documents.pki import _CREDIT_CODE_CHARS, _CREDIT_CODE_WEIGHTS

TERMS = {
    "position": "后端开发工程师", "work_location": "北京市海淀区", "monthly_pay": 15000, "probation_months": 3,
    "contract_years": 3, "breach_terms": "任何一方违约，应向守约方支付违约金人民币伍仟元。",
    "other_clauses": "单位提供人才公寓一年。", "archive_address": "北京市海淀区人才服务中心", "hukou_transfer": True,
}


def credit_code(rng: random.Random | None = None) -> str:
    """A valid unified social credit code (GB 32100-2015 check character)."""
    rng = rng or random.Random()
    body = "91110108" + "".join(rng.choice(_CREDIT_CODE_CHARS[:]) for _ in range(9))
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, _CREDIT_CODE_WEIGHTS))
    return body + _CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def _user(username: str, name: str, roles: list[str], **extra) -> User:
    user = User(username=username, display_name=name, **extra)
    user.roles = [UserRole(role=r) for r in roles]
    db.session.add(user)
    db.session.flush()
    return user


class People:
    """A college with a major, a counselor, a career-office teacher, students and employers (unique names)."""

    def __init__(self, unique: str):
        self.unique = unique
        self.college = College(code=f"C{unique}", name="计算机科学与技术学院")
        db.session.add(self.college)
        db.session.flush()
        self.major = Major(code=f"M{unique}", name="软件工程", college_id=self.college.id)
        db.session.add(self.major)
        db.session.flush()
        self.counselor = _user(f"cn_{unique}", "辅导员王老师", ["counselor"]).id
        db.session.add(CounselorScope(user_id=self.counselor, college_id=self.college.id))
        self.staff = _user(f"st_{unique}", "就业中心陈老师", ["staff"]).id
        self._n = 0
        db.session.commit()

    def student(self, name: str = "张三丰", degree: str = "本科", year: int = 2026) -> tuple[int, str]:
        self._n += 1
        student_no = f"S{self.unique}{self._n}"
        user = _user(student_no, name, ["student"], email=f"{student_no}@example.edu.cn")
        db.session.add(Student(user_id=user.id, student_no=student_no, gender="男", id_number="110105200301011234",
                               college_id=self.college.id, major_id=self.major.id, degree=degree,
                               graduation_year=year, expected_graduation=date(year, 6, 30)))
        db.session.commit()
        return user.id, student_no

    def employer(self, name: str = "北京星河科技有限公司", status: str = "approved") -> tuple[int, int]:
        """(employer id, its HR user id)."""
        self._n += 1
        employer = Employer(name=name, credit_code=credit_code(), kind="private", industry="信息技术",
                            address="北京市海淀区中关村大街 1 号", contact_name="李经理",
                            contact_phone="010-88886666", status=status)
        db.session.add(employer)
        db.session.flush()
        user = _user(f"hr_{self.unique}_{self._n}", f"{name} 人力资源部", ["employer"], employer_id=employer.id)
        db.session.commit()
        return employer.id, user.id


@pytest.fixture(scope="session")
def deployed(app):
    with app.app_context():
        engine.deploy_directory()
        db.session.remove()
    return app


@pytest.fixture
def people(ctx, deployed, unique) -> People:
    return People(unique)


def _detached(row):
    """The row with its columns loaded and no transaction left open (on SQLite an open transaction holds
    the write lock the worker process needs)."""
    if row is not None:
        db.session.expunge(row)
    db.session.rollback()
    return row


def agreement(agreement_id: int) -> Agreement:
    db.session.expire_all()
    return _detached(db.session.get(Agreement, agreement_id))


def open_task(instance_id: int, spec_id: str) -> OpenTask | None:
    db.session.expire_all()
    return _detached(db.session.execute(select(OpenTask).where(
        OpenTask.instance_id == instance_id, OpenTask.spec_id == spec_id)).scalar_one_or_none())


def _diagnosis(instance_id: int) -> str:
    jobs = db.session.execute(select(Job.spec_id, Job.status, Job.attempts, Job.last_error)
                              .where(Job.instance_id == instance_id).order_by(Job.id)).all()
    incidents = db.session.execute(select(Incident.message).where(Incident.instance_id == instance_id)).all()
    tasks = db.session.execute(select(OpenTask.spec_id).where(OpenTask.instance_id == instance_id)).scalars().all()
    db.session.rollback()
    lines = [f"open tasks: {tasks}", *(f"job {j.spec_id}: {j.status} x{j.attempts} {(j.last_error or '')[-600:]}"
                                       for j in jobs), *(f"incident: {i.message}" for i in incidents)]
    return "\n".join(lines)


def wait_for(predicate, instance_id: int, what: str, timeout: float = 60.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        value = predicate()
        db.session.rollback()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{_diagnosis(instance_id)}")
        time.sleep(interval)


def wait_task(instance_id: int, spec_id: str, timeout: float = 60.0) -> OpenTask:
    return wait_for(lambda: open_task(instance_id, spec_id), instance_id, f"task {spec_id}", timeout)


def wait_status(agreement_id: int, status: str, timeout: float = 60.0) -> Agreement:
    row = agreement(agreement_id)
    return wait_for(lambda: (a := agreement(agreement_id)).status == status and a, row.instance_id,
                    f"agreement status {status}", timeout)


TASK_CLIENT = "192.0.2.10"  # the address the helper's task completions come from


def complete(instance_id: int, spec_id: str, data: dict, actor_id: int | None, wait: float = 60.0) -> None:
    task = wait_task(instance_id, spec_id, wait)
    engine.complete_task(task.task_guid, data, actor_id, remote_addr=TASK_CLIENT)
    db.session.rollback()


def unique_name(prefix: str) -> str:
    return prefix + "".join(random.choice(string.ascii_lowercase) for _ in range(6))
