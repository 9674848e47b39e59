"""`flask demo-data` with DEMO_ACTIVITY (what `make run` loads): a university that looks alive, made through the
processes at controlled times: agreements at every stage, an overdue and a due-today task, an open incident, a
pending employer registration, recommendation requests, a few hundred students over several colleges with
contact details; loading it twice adds nothing. Needs LibreOffice (agreements are rendered and signed)."""
from __future__ import annotations

import shutil
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.platform.clock import LOCAL_TZ
from tests.conftest import BACKENDS, drop_app, make_app

pytestmark = [pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"),
              pytest.mark.one_backend]


@pytest.fixture(params=BACKENDS)
def lively(request, tmp_path, redis_url):
    app, schema = make_app(request.param, tmp_path, redis_url, DEMO_ACTIVITY=True, DOCUMENTS_KEY_DIR=str(tmp_path / "pki"))
    try:
        with app.app_context():
            from app.engine import deploy_directory
            from app.platform.demo import load_demo_data

            deploy_directory()
            load_demo_data()
        yield app
    finally:
        drop_app(app, schema)


def counts(app) -> dict:
    from app.agreements.models import Agreement
    from app.engine.models import Incident, OpenTask, ProcessInstance
    from app.identity.models import College, Employer, Student, User
    from app.platform.extensions import db

    with app.app_context():
        now = datetime.now(timezone.utc)
        start = datetime.combine(now.astimezone(LOCAL_TZ).date(), time.min, LOCAL_TZ)
        found = {
            "agreements": dict(db.session.execute(select(Agreement.status, func.count()).group_by(Agreement.status)).all()),
            "students": db.session.execute(select(func.count()).select_from(Student)).scalar(),
            "colleges": db.session.execute(select(func.count(func.distinct(Student.college_id)))).scalar(),
            "with_contact": db.session.execute(select(func.count()).select_from(Student).join(User, User.id == Student.user_id)
                                               .where(User.phone.is_not(None), User.email.is_not(None))).scalar(),
            "overdue": db.session.execute(select(func.count()).select_from(OpenTask).where(OpenTask.due_at < now)).scalar(),
            # late in the evening (the demo's "due today" needs 30 minutes) it is due within the hour
            "due_today": db.session.execute(select(func.count()).select_from(OpenTask).where(
                OpenTask.due_at >= now, OpenTask.due_at < max(start + timedelta(days=1), now + timedelta(hours=1)))
            ).scalar(),
            "incidents": [m for (m,) in db.session.execute(select(Incident.message).where(Incident.resolved_at.is_(None)))],
            "pending_employers": db.session.execute(select(func.count()).select_from(Employer)
                                                    .where(Employer.status == "pending")).scalar(),
            "recommendations": dict(db.session.execute(
                select(ProcessInstance.status, func.count()).where(ProcessInstance.process_key == "employment_recommendation")
                .group_by(ProcessInstance.status)).all()),
            "colleges_total": db.session.execute(select(func.count()).select_from(College)).scalar(),
        }
        db.session.remove()
    return found


def test_the_demo_university_is_alive_and_made_through_its_processes(lively):
    from app.engine.models import HistoryEvent
    from app.platform.extensions import db

    found = counts(lively)
    assert set(found["agreements"]) >= {"offered", "accepted", "in_review", "signing", "in_force", "rescinded"}
    assert found["students"] >= 300 and found["colleges"] >= 5 and found["with_contact"] >= 300
    assert found["overdue"] >= 1 and found["due_today"] >= 1
    assert [m for m in found["incidents"] if "三方协议" in m], found["incidents"]  # the offer to a signed student
    assert found["pending_employers"] == 1
    assert found["recommendations"].get("running", 0) >= 5 and found["recommendations"].get("completed", 0) >= 1
    with lively.app_context():  # made by the processes, in the past: their history says when and who
        earliest = db.session.execute(select(func.min(HistoryEvent.at)).where(
            HistoryEvent.process_key == "tripartite_agreement")).scalar()
        returned = db.session.execute(select(func.count()).select_from(HistoryEvent).where(
            HistoryEvent.task_spec_id == "counselor_review", HistoryEvent.event_type == "task_completed",
            HistoryEvent.actor_id.is_not(None))).scalar()
        db.session.remove()
    assert earliest < datetime.now(timezone.utc) - timedelta(days=30) and returned >= 3

    with lively.app_context():  # idempotent: a second run adds nothing
        from app.platform.demo import load_demo_data

        load_demo_data()
    assert counts(lively) == found
