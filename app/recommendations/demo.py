"""Demo recommendation requests (就业推荐表), started and worked through the process at controlled times: one
still being filled in, three waiting for their counselors (one of them overdue), one returned, one at the
career office and one approved. Only with DEMO_ACTIVITY; idempotent (a student with a request is skipped)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from app import engine
from app.engine.models import ProcessInstance
from app.identity.models import Student, User
from app.platform.db_types import clock_at
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from app.processes.demo_work import demo_user_id, work_task
from app.processes.services import starter_data

PROCESS_KEY = "employment_recommendation"
COUNSELORS = {"01": "counselor_cs", "02": "counselor_em", "03": "counselor_fl", "04": "counselor_me",
              "05": "counselor_ms"}
INDUSTRIES = ("it", "finance", "education", "manufacturing", "public")
CITIES = ("上海", "南京", "杭州", "深圳", "北京", "成都")
# student number -> (how far it got, days ago it started)
REQUESTS = [
    ("2022011101", "filling", 1),
    ("2022021101", "counselor", 2),
    ("2022031101", "counselor", 1),
    ("2022041101", "counselor", 6),   # the counselor's three days are over
    ("2022051101", "returned", 4),
    ("2022011102", "office", 3),
    ("2022021102", "approved", 9),
]


def load() -> None:
    if not current_app.config.get("DEMO_ACTIVITY", False):
        return
    now = datetime.now(timezone.utc)
    for index, (student_no, stage, days_ago) in enumerate(REQUESTS):
        student = db.session.execute(select(Student).where(Student.student_no == student_no)).scalar()
        if student is None or _has_request(student.user_id):
            db.session.rollback()
            continue
        start = now - timedelta(days=days_ago, hours=index)
        instance_id = _start(student, start)
        if stage == "filling":
            continue
        user = db.session.get(User, student.user_id)
        application = {"phone": user.phone or "13900000000", "email": user.email or "student@example.edu.cn",
                       "target_industry": INDUSTRIES[index % len(INDUSTRIES)], "target_city": CITIES[index % len(CITIES)],
                       "self_assessment": "在校期间成绩优良，担任学生干部，参加过两次专业实习，沟通与协作能力较强。"}
        db.session.rollback()
        _step(instance_id, "fill_application", application, student.user_id, start + timedelta(hours=2))
        if stage == "counselor":
            continue
        counselor = demo_user_id(COUNSELORS[student_no[4:6]])
        if stage == "returned":
            _step(instance_id, "counselor_review", {"counselor_decision": "return",
                                                    "counselor_comment": "请补充获奖情况与实习经历。"},
                  counselor, start + timedelta(days=1), claim=True)
            continue
        _step(instance_id, "counselor_review", {"counselor_decision": "approve", "counselor_comment": "情况属实，同意推荐。"},
              counselor, start + timedelta(days=1), claim=True)
        if stage == "office":
            continue
        _step(instance_id, "office_review", {"office_decision": "approve", "office_comment": "同意推荐。"},
              demo_user_id("staff1"), start + timedelta(days=2), claim=True)



def _has_request(user_id: int) -> bool:
    return db.session.execute(select(ProcessInstance.id).where(
        ProcessInstance.process_key == PROCESS_KEY, ProcessInstance.started_by == user_id).limit(1)).scalar() is not None


def _start(student: Student, at: datetime) -> int:
    """Started by the student from the portal (the starter's lane is his)."""
    with clock_at(at), unit_of_work() as uow:
        definition = engine.latest_definition(PROCESS_KEY)
        user = uow.get(User, student.user_id)
        data = starter_data(user, student)
        data["lane_owners"] = {definition.starter_lane: [user.id]} if definition.starter_lane else {}
        instance_id = engine.start_instance(definition, data, started_by=user.id,
                                            scope={"college": student.college_id})
        uow.commit()
    return instance_id



def _step(instance_id: int, spec_id: str, data: dict, actor: int, at: datetime, claim: bool = False) -> None:
    if not work_task(spec_id, data, actor, instance_id=instance_id, at=at, claim=claim):
        raise LookupError(f"recommendation {instance_id}: no open task {spec_id}")
