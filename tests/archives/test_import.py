"""The students' Excel import: a good file, a re-import that changes nothing, an update file that changes only
what differs, a bad file reported row by row with nothing stored, and the commit on the worker."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.archives import imports, queries
from app.archives.models import Archive, ImportRun
from app.identity.models import CounselorScope, Student, StudentClass, User
from app.platform import progress
from app.platform.extensions import db
from tests.archives.conftest import HEADERS, student_row, workbook


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_import_then_reimport_then_update(school):
    rows = [student_row(school, n) for n in range(1, 4)]
    checked = imports.check(workbook(rows))
    assert not checked.problems and checked.changes.summary() == {"create": 3, "update": 0, "unchanged": 0}
    assert imports.apply(checked, school["staff_id"]) == {"create": 3, "update": 0, "unchanged": 0, "archives": 3}
    first = db.session.execute(select(Student).where(Student.student_no == rows[0][0])).scalar_one()
    assert (first.enrolment_year, first.source_region, first.id_number, first.degree) == (2022, "浙江", rows[0][3], "本科")
    klass = db.session.get(StudentClass, first.class_id)
    assert klass.name == rows[0][7] and klass.counselor_id == school["counselor_id"]
    assert queries.archive_of(first.user_id).instance_id is not None
    students, archives, users = _count(Student), _count(Archive), _count(User)

    again = imports.check(workbook(rows))
    assert again.changes.summary() == {"create": 0, "update": 0, "unchanged": 3}
    assert imports.apply(again, school["staff_id"])["archives"] == 0
    assert (_count(Student), _count(Archive), _count(User)) == (students, archives, users)

    changed = [student_row(school, 1, **{"手机号": "13912345678"}), rows[1], rows[2]]
    plan = imports.check(workbook(changed))
    assert plan.changes.summary() == {"create": 0, "update": 1, "unchanged": 2}
    assert plan.changes.update[0][1] == {"phone": ("13800000001", "13912345678")}
    imports.apply(plan, school["staff_id"])
    db.session.expire_all()
    assert db.session.get(User, first.user_id).phone == "13912345678"
    assert db.session.get(User, first.user_id).display_name == rows[0][1]


def test_a_file_with_bad_rows_reports_each_and_stores_nothing(school):
    students = _count(Student)
    rows = [student_row(school, 1), student_row(school, 2, **{"身份证号": "110105200001011234"}),
            student_row(school, 3, **{"专业": "考古学"}), student_row(school, 4, **{"学号": student_row(school, 1)[0]}),
            student_row(school, 5, **{"预计毕业年份": 2021})]
    content = workbook(rows)
    run_id = imports.check_upload("新生.xlsx", content, school["staff_id"])
    run = queries.import_run(run_id)
    assert run.status == imports.REFUSED
    assert {(p["row"], p["column"]) for p in run.problems} == {(3, "身份证号"), (4, "专业"), (5, "学号"), (6, "预计毕业年份")}
    assert _count(Student) == students
    marked = load_workbook(io.BytesIO(imports.marked_up(run)))
    ws = marked.worksheets[0]
    assert ws.cell(row=3, column=HEADERS.index("身份证号") + 1).comment is not None
    assert ws.cell(row=2, column=HEADERS.index("身份证号") + 1).comment is None
    assert ws.cell(row=1, column=len(HEADERS) + 1).value == "问题"
    try:
        imports.queue_run(run_id, school["staff_id"])
        raise AssertionError("a refused run was committed")
    except imports.ImportError_:
        pass
    assert _count(Student) == students


def test_a_checked_run_is_committed_by_the_worker_with_progress(school):
    content = workbook([student_row(school, n) for n in range(1, 6)])
    run_id = imports.check_upload("新生.xlsx", content, school["staff_id"])
    assert queries.import_run(run_id).summary == {"create": 5, "update": 0, "unchanged": 0}
    imports.queue_run(run_id, school["staff_id"])  # RQ_ASYNC off in tests: the job runs at commit
    db.session.expire_all()
    run = db.session.get(ImportRun, run_id)
    assert run.status == imports.DONE and run.summary["archives"] == 5
    assert progress.current(f"archive-import:{run_id}")["percent"] == 100
    assert db.session.execute(select(func.count()).select_from(CounselorScope).where(
        CounselorScope.user_id == school["counselor_id"])).scalar() == 1
