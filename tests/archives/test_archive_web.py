"""The archive pages: import with a bad row (problems shown and downloadable, nothing stored), the corrected
file committed, the archive page with masking per role, notes, manual create, export, access refused."""
from __future__ import annotations

import io
import re
import uuid

from openpyxl import load_workbook
from sqlalchemy import select

from app.identity.models import Student
from tests.archives.conftest import HEADERS, id_number, workbook


def _row(prefix: str, n: int, **changes) -> list:
    values = {"学号": f"{prefix}{n:03d}", "姓名": f"测试{n}", "性别": "女", "身份证号": id_number(n), "学院": "CS",
              "专业": "软件工程", "学历层次": "本科", "班级": f"软件{prefix}", "入学年份": 2024, "预计毕业年份": 2028,
              "手机号": f"1390000{n:04d}", "电子邮箱": "", "生源地": "江苏", "辅导员账号": "counselor_cs"}
    values.update(changes)
    return [values[h] for h in HEADERS]


def _upload(client, content: bytes):
    return client.post("/archives/import", data={"file": (io.BytesIO(content), "students.xlsx")},
                       content_type="multipart/form-data")


def test_import_with_a_bad_row_then_fixed_then_the_archive_page(web):
    prefix = "W" + uuid.uuid4().hex[:6].upper()
    staff = web.client("staff1")
    assert staff.get("/archives/import/template.xlsx").status_code == 200
    bad = workbook([_row(prefix, 1), _row(prefix, 2, **{"专业": "考古学"})])
    resp = _upload(staff, bad)
    assert resp.status_code == 302
    page = staff.get(resp.location)
    text = page.get_data(as_text=True)
    assert "考古学" not in text and "专业" in text and 'id="import-problems"' in text
    report = staff.get(resp.location + "/report.xlsx")
    marked = load_workbook(io.BytesIO(report.data)).worksheets[0]
    assert marked.cell(row=3, column=HEADERS.index("专业") + 1).comment is not None
    assert staff.post(resp.location + "/commit").status_code == 409
    assert web.scalar(select(Student.user_id).where(Student.student_no == f"{prefix}001")) is None

    resp = _upload(staff, workbook([_row(prefix, 1), _row(prefix, 2)]))
    page = staff.get(resp.location).get_data(as_text=True)
    assert 'id="import-summary"' in page
    assert staff.post(resp.location + "/commit").status_code == 302
    done = staff.get(resp.location + "/progress").get_json()
    assert done["status"] == "done" and done["summary"]["archives"] == 2
    student_id = web.scalar(select(Student.user_id).where(Student.student_no == f"{prefix}001"))

    archive = staff.get(f"/archives/{student_id}").get_data(as_text=True)
    assert id_number(1) in archive and "13900000001" in archive and 'data-kind="enrolment"' in archive

    counselor = web.client("counselor_cs")
    page = counselor.get(f"/archives/{student_id}").get_data(as_text=True)
    assert id_number(1) not in page and id_number(1)[:6] + "********" in page and "139****0001" in page
    assert counselor.post(f"/archives/{student_id}/notes", data={"kind": "note", "text": "x"}).status_code == 422
    assert counselor.post(f"/archives/{student_id}/notes",
                          data={"kind": "note", "text": "谈心谈话：考虑考研，已推荐职业测评"}).status_code == 302
    assert "考虑考研" in counselor.get(f"/archives/{student_id}").get_data(as_text=True)
    assert counselor.get("/archives/?q=" + prefix).get_data(as_text=True).count(prefix) >= 2

    assert web.client("counselor_em").get(f"/archives/{student_id}").status_code == 404
    student = web.client("2022010101")
    assert student.get(f"/archives/{student_id}").status_code == 404
    assert student.get("/archives/").status_code == 302
    assert student.get("/archives/import").status_code == 403
    assert student.post(f"/archives/{student_id}/notes", data={"text": "hello there"}).status_code == 403

    rows = list(load_workbook(io.BytesIO(staff.get("/archives/export.xlsx").data)).worksheets[0].values)
    assert rows[0] == HEADERS and any(r[0] == f"{prefix}001" and r[3] == id_number(1) for r in rows)


def test_manual_create_and_edit_use_the_import_rules(web):
    prefix = "M" + uuid.uuid4().hex[:6].upper()
    staff = web.client("staff1")
    form = dict(zip(("student_no", "name", "gender", "id_number", "college", "major", "degree", "class_name",
                     "enrolment_year", "graduation_year", "phone", "email", "source_region", "counselor"),
                    [str(v) for v in _row(prefix, 7)]))
    bad = staff.post("/archives/students/new", data={**form, "id_number": "110105200001011234"})
    assert bad.status_code == 422 and "aria-invalid" in bad.get_data(as_text=True)
    resp = staff.post("/archives/students/new", data=form)
    assert resp.status_code == 302
    student_id = int(re.search(r"/archives/(\d+)", resp.location).group(1))
    assert staff.post("/archives/students/new", data=form).status_code == 422  # the number exists
    resp = staff.post(f"/archives/{student_id}/edit", data={**form, "phone": "13700001111"})
    assert resp.status_code == 302
    assert "13700001111" in staff.get(f"/archives/{student_id}").get_data(as_text=True)


def test_the_demo_cohort_stands_at_every_stage(web):
    from datetime import date

    from app.archives import demo, queries
    from app.archives.models import Destination
    from app.engine.models import OpenTask

    with web.app.app_context():
        counts = queries.destination_counts(date(2026, 12, 1), ("graduation_year",), graduation_year=2026)
        sept = queries.destination_counts(date(2026, 9, 1), ("graduation_year",), graduation_year=2026)
    demo_graduates = [r for r in demo.cohort(web.app.config["ARCHIVE_DEMO_COHORT"]) if r["graduation_year"] == "2026"]
    assert counts[0]["graduates"] >= len(demo_graduates) > 0
    assert 0 < sept[0]["placed"] < counts[0]["placed"] < counts[0]["graduates"]
    statuses = {s for (s,) in web.query(select(Destination.status))}
    assert {"registered", "verified", "confirmed"} <= statuses
    open_steps = {s for (s,) in web.query(select(OpenTask.spec_id).where(OpenTask.process_key == "student_archive"))}
    assert {"intention_survey", "verify_destination", "confirm_destination"} <= open_steps


def test_the_counselors_list_of_graduates_still_seeking_work(web):
    from app.archives import domain

    counselor = web.client("counselor_cs")
    page = counselor.get("/archives/seeking?year=2026").get_data(as_text=True)
    assert 'id="seeking"' in page and "计算机科学与技术学院" in page and "经济管理学院" not in page
    assert "****" in page  # phones masked for a counselor
    rows = list(load_workbook(io.BytesIO(counselor.get("/archives/seeking?year=2026&format=xlsx").data))
                .worksheets[0].values)[1:]
    labels = {c.label for c in domain.CATEGORIES if not c.placed}
    assert rows and all(r[2] == "计算机科学与技术学院" and r[7] in labels for r in rows)
    staff_rows = list(load_workbook(io.BytesIO(web.client("staff1").get("/archives/seeking?year=2026&format=xlsx")
                                               .data)).worksheets[0].values)[1:]
    assert len(staff_rows) > len(rows)
    assert web.client("2022010101").get("/archives/seeking").status_code == 403
