"""Fixtures of the archive tests: the processes deployed, a college with majors and a counselor, a controlled
clock for the engine's timers, workbooks, and completing a student's open task."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app import engine
from app.engine.models import OpenTask
from app.identity.models import College, CounselorScope, Major, User, UserRole
from app.platform.extensions import db

HEADERS = ("学号", "姓名", "性别", "身份证号", "学院", "专业", "学历层次", "班级", "入学年份", "预计毕业年份", "手机号",
           "电子邮箱", "生源地", "辅导员账号")


@pytest.fixture
def deployed(ctx):
    engine.deploy_directory()
    return ctx


class Clock:
    """The engine's notion of now for timers (SpiffWorkflow's due check and the scheduler's query)."""

    def __init__(self, monkeypatch):
        import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

        from app.archives import services
        from app.engine import timers

        self.now = datetime(2000, 1, 1, tzinfo=timezone.utc)
        clock = self

        class FrozenDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return clock.now if tz is None else clock.now.astimezone(tz)

        monkeypatch.setattr(spiff_timer, "datetime", FrozenDatetime)
        monkeypatch.setattr(timers, "utcnow", lambda: clock.now)
        monkeypatch.setattr(services, "utcnow", lambda: clock.now)

    def set(self, *args) -> int:
        """Move to that moment (UTC) and fire what is due; returns how many instances woke."""
        self.now = datetime(*args, tzinfo=timezone.utc)
        from app.engine import timers

        woken = 0
        while True:
            fired = timers.fire_due()
            woken += fired
            if not fired:
                return woken


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def school(deployed, unique):
    """A college with two majors, a counselor of that college, a staff member."""
    college = College(code=f"C{unique}", name=f"计算机学院{unique}")
    db.session.add(college)
    db.session.flush()
    majors = [Major(code=f"M{unique}{i}", name=name, college_id=college.id) for i, name in enumerate(("软件工程", "网络工程"))]
    db.session.add_all(majors)
    counselor = User(username=f"fdy{unique}", display_name="王辅导员")
    staff = User(username=f"staff{unique}", display_name="李老师")
    db.session.add_all([counselor, staff])
    db.session.flush()
    db.session.add_all([UserRole(user_id=counselor.id, role="counselor"), UserRole(user_id=staff.id, role="staff"),
                        CounselorScope(user_id=counselor.id, college_id=college.id)])
    db.session.commit()
    return {"college": college.name, "college_id": college.id, "majors": [m.name for m in majors],
            "major_ids": [m.id for m in majors], "counselor": counselor.username, "counselor_id": counselor.id,
            "staff_id": staff.id, "unique": unique}


def id_number(seed: int) -> str:
    body = f"110105200{seed % 10}0101{seed % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def student_row(school: dict, n: int, **changes) -> list:
    values = {"学号": f"{school['unique'][:6]}{n:04d}", "姓名": f"学生{n}", "性别": "男" if n % 2 else "女",
              "身份证号": id_number(n), "学院": school["college"], "专业": school["majors"][n % 2],
              "学历层次": "本科", "班级": f"软件{school['unique'][:4]}-{n % 2}", "入学年份": 2022,
              "预计毕业年份": 2026, "手机号": f"1380000{n:04d}", "电子邮箱": f"s{n}@example.edu.cn", "生源地": "浙江",
              "辅导员账号": school["counselor"]}
    values.update(changes)
    return [values[h] for h in HEADERS]


def workbook(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def open_task(instance_id: int, spec_id: str | None = None) -> OpenTask | None:
    db.session.expire_all()
    query = select(OpenTask).where(OpenTask.instance_id == instance_id)
    if spec_id:
        query = query.where(OpenTask.spec_id == spec_id)
    return db.session.execute(query).scalars().first()


def complete(instance_id: int, spec_id: str, data: dict, actor_id: int | None) -> None:
    task = open_task(instance_id, spec_id)
    assert task is not None, f"no open task {spec_id}; open: {open_task(instance_id) and open_task(instance_id).spec_id}"
    engine.complete_task(task.task_guid, data, actor_id)
