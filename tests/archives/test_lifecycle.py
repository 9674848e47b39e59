"""A student's whole life in the archive, with controlled time: imported at enrolment, three yearly profile
updates (one left to close), the intention survey, a destination registered (first incomplete, then returned by
the counselor, then confirmed), a change before 31 August, follow-ups after 6 months (answered after a
reminder) and 3 years (unanswered), the archive sealed, an alumnus's update approved."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app import engine
from app.archives import domain, imports, queries, services
from app.archives.models import Archive, ArchiveRecord, Destination
from app.engine.models import ProcessInstance
from app.identity.models import Student
from app.notifications.models import Notification
from app.platform.extensions import db
from tests.archives.conftest import complete, open_task, student_row, workbook

PROOF = {"file_id": "ab" + "0" * 30, "name": "劳动合同.pdf", "size": 1000, "content_type": "application/pdf"}
JOB = {"category": "contract", "employer_name": "杭州某科技有限公司", "employer_kind": "民营企业", "industry": "信息技术",
       "region_province": "浙江", "region_city": "杭州", "position": "软件工程师", "evidence_kind": "contract",
       "evidence_file": PROOF}


def _records(student_id: int) -> list[tuple[str, dict]]:
    archive = queries.archive_of(student_id)
    return [(r.kind, r.data) for r in queries.records_of(archive.id)]


def test_a_students_life_from_enrolment_to_a_sealed_archive(school, clock):
    clock.set(2022, 9, 1)
    checked = imports.check(workbook([student_row(school, 1)]))
    assert not checked.problems
    imports.apply(checked, school["staff_id"])
    student = db.session.execute(select(Student).where(Student.student_no == student_row(school, 1)[0])).scalar_one()
    sid = student.user_id
    archive = queries.archive_of(sid)
    iid = archive.instance_id
    assert open_task(iid) is None  # waiting for the first profile date

    clock.set(2022, 10, 2)
    complete(iid, "profile_update", {"skills": "Python、数据库", "certificates": "CET-4", "internships": "",
                                     "awards": ""}, sid)
    clock.set(2023, 10, 2)
    assert open_task(iid, "profile_update") is not None
    clock.set(2023, 12, 5)  # 60 days passed: this year's update closed unanswered
    assert open_task(iid, "profile_update") is None
    clock.set(2024, 10, 2)
    complete(iid, "profile_update", {"skills": "Python、Go、分布式系统", "certificates": "CET-6", "internships": "某公司实习",
                                     "awards": "校二等奖学金"}, sid)
    assert open_task(iid) is None
    clock.set(2025, 10, 2)
    complete(iid, "intention_survey", {"intention": "employment", "preferred_regions": "浙江", "expected_salary":
                                       "8000-12000"}, sid)

    # incomplete (no evidence): back to the student with the reason, nothing registered
    complete(iid, "register_destination", {**JOB, "evidence_file": None}, sid)
    assert open_task(iid, "register_destination") is not None
    assert engine.task_data(open_task(iid).task_guid)["return_note"]
    assert db.session.execute(select(func.count()).select_from(Destination).where(Destination.student_id == sid)
                              ).scalar() == 0
    complete(iid, "register_destination", JOB, sid)
    complete(iid, "verify_destination", {"verify_decision": "return", "verify_comment": "合同缺少单位盖章页"},
             school["counselor_id"])
    assert "盖章" in engine.task_data(open_task(iid, "register_destination").task_guid)["return_note"]
    complete(iid, "register_destination", JOB, sid)
    complete(iid, "verify_destination", {"verify_decision": "approve"}, school["counselor_id"])
    assert queries.destinations_at(date(2026, 5, 1), graduation_year=2026, college_id=school["college_id"]
                                   )[0].category == "seeking"  # verified is not yet confirmed
    complete(iid, "confirm_destination", {"confirm_decision": "approve"}, school["staff_id"])
    confirmed_on = clock.now.date()
    first = queries.destination_of(sid)
    assert first.status == domain.CONFIRMED and first.confirmed_by == school["staff_id"]

    # a change before 31 August: further study instead
    clock.set(2026, 7, 10)
    complete(iid, "change_window", {"want_change": True}, sid)
    complete(iid, "register_destination", {"category": "further_study", "school": "浙江大学", "evidence_kind": "admission",
                                           "evidence_file": PROOF}, sid)
    complete(iid, "verify_destination", {"verify_decision": "approve"}, school["counselor_id"])
    complete(iid, "confirm_destination", {"confirm_decision": "approve"}, school["staff_id"])
    assert queries.destination_of(sid).category == "further_study"
    [before] = queries.destinations_at(confirmed_on, graduation_year=2026, college_id=school["college_id"])
    [after] = queries.destinations_at(date(2026, 9, 1), graduation_year=2026, college_id=school["college_id"])
    assert (before.category, after.category, after.study) == ("contract", "further_study", "domestic")
    assert open_task(iid, "change_window") is not None
    clock.set(2026, 9, 1)  # the deadline passed: no change any more
    assert open_task(iid, "change_window") is None

    # the 6-month follow-up: reminded after 14 days, then answered
    clock.set(2026, 12, 31, 2)
    assert open_task(iid, "followup_6m") is not None
    clock.set(2027, 1, 15, 2)
    reminders = db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == sid, Notification.kind == "archive.reminder")).scalar()
    assert reminders == 1
    complete(iid, "followup_6m", {"fu_employer": "浙江大学（在读研究生）", "fu_satisfaction": "4"}, sid)
    # the 3-year follow-up: two reminders, no answer, closed after 60 days; then the archive is sealed
    clock.set(2029, 6, 30, 2)
    clock.set(2029, 7, 15, 2)
    clock.set(2029, 8, 5, 2)
    assert db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == sid, Notification.kind == "archive.reminder")).scalar() == 3
    clock.set(2029, 9, 1, 2)
    db.session.expire_all()
    assert db.session.get(ProcessInstance, iid).status == "completed"
    assert db.session.get(Archive, archive.id).sealed_at is not None
    kinds = [k for k, _ in _records(sid)]
    assert kinds == ["profile", "profile", "survey", "followup", "followup_missed"]
    assert _records(sid)[1][1]["year"] == 2024

    # sealed: the alumnus asks to update the career record; the office approves
    update_iid = services.request_update(sid, {"current_employer": "阿里巴巴", "current_position": "算法工程师",
                                               "update_reason": "毕业后就业"})
    complete(update_iid, "review_update", {"update_decision": "approve"}, school["staff_id"])
    assert _records(sid)[-1] == ("update", {"employer": "阿里巴巴", "position": "算法工程师", "reason": "毕业后就业"})
    assert db.session.execute(select(func.count()).select_from(ArchiveRecord)).scalar() >= 6
