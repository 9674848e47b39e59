"""The office's reports through the web: who may read them, a counselor's page holds only his colleges,
CSV and Excel exports hold the page's figures, bad filters answer 422 with the field's message."""
from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.identity.models import College, CounselorScope, User
from tests.procs import jobs_for_a_worker
from tests.web import ROLE_USERS

PAGES = ["/reports/", "/reports/destinations", "/reports/agreements", "/reports/funnel", "/reports/devices"]


def text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ["student", "employer", "process_owner"])
def test_reports_are_for_the_office(web, role):
    client = web.client(ROLE_USERS[role])
    for path in PAGES:
        assert client.get(path).status_code == 403, path


def test_staff_read_export_and_print(web):
    staff = web.client(ROLE_USERS["staff"])
    for path in PAGES:
        assert staff.get(path).status_code == 200, path
    page = text(staff.get("/reports/destinations?at=2026-09-01&year=2026&by=degree"))
    assert 'data-chart="' in page and "data-print" in page and 'id="rates"' in page
    csv = staff.get("/reports/destinations?at=2026-09-01&year=2026&by=degree&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    body = csv.get_data().decode("utf-8-sig")
    assert "2026-09-01" in body and "签就业协议形式就业" in body
    xlsx = staff.get("/reports/agreements?from=2020-01-01&format=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert sheet["A3"].value and sheet.max_row >= 4
    assert staff.get("/reports/funnel?format=csv").status_code == 200
    devices = staff.get("/reports/devices?from=2020-01-01&format=csv")
    assert devices.status_code == 200 and "2020-01-01" in devices.get_data().decode("utf-8-sig")
    assert staff.get("/reports/devices?from=2026-05-02&to=2026-05-01").status_code == 422
    assert "reporting.agreements" in text(staff.get("/reports/"))


def test_bad_filters(web):
    staff = web.client(ROLE_USERS["staff"])
    assert staff.get("/reports/destinations?at=31/08/2026").status_code == 422
    assert staff.get("/reports/destinations?year=abc").status_code == 422
    assert staff.get("/reports/destinations?by=salary").status_code == 422
    assert staff.get("/reports/agreements?from=2026-05-02&to=2026-05-01").status_code == 422
    assert staff.get("/reports/funnel?fair=999999").status_code == 200  # an unknown fair: all recruiting


def test_a_counselor_sees_only_his_colleges(web):
    counselor = ROLE_USERS["counselor"]
    mine = {name for (name,) in web.query(
        select(College.name).join(CounselorScope, CounselorScope.college_id == College.id)
        .join(User, User.id == CounselorScope.user_id).where(User.username == counselor))}
    others = {name for (name,) in web.query(select(College.name))} - mine
    assert mine and others
    page = text(web.client(counselor).get("/reports/destinations?by=college"))
    groups = {part.split('"')[0] for part in page.split('data-group="')[1:]}
    assert groups <= mine
    assert not any(f'data-group="{name}"' in page for name in others)


@pytest.mark.skipif(any(shutil.which(b) is None for b in ("soffice", "pdftotext", "pdftoppm")),
                    reason="LibreOffice / poppler not installed (config/system-packages.txt)")
def test_annual_report_made_by_the_document_worker(web, tmp_path):
    """Asked for on the page, made by a real worker process (figures, Word, PDF), then downloaded."""
    import subprocess

    staff = web.client(ROLE_USERS["staff"])
    assert staff.get("/reports/annual").status_code == 200
    counselor = web.client(ROLE_USERS["counselor"])
    assert counselor.get("/reports/annual").status_code == 403
    form = {"year": "2026", "at": "2026-08-31", "chapter": ["scale", "destinations", "alumni", "trend", "measures"],
            "measures": "本年度举办双选会 12 场 <重点帮扶>"}
    assert staff.post("/reports/annual", data={**form, "chapter": [], "year": "x"}).status_code == 422
    with jobs_for_a_worker(web.app):
        asked = staff.post("/reports/annual", data=form)
        assert asked.status_code == 303
        page_url = asked.headers["Location"]
        run_id = int(page_url.rstrip("/").rsplit("/", 1)[-1])
        waiting = staff.get(page_url)
        assert waiting.status_code == 200 and 'data-status="queued"' in text(waiting)
        assert 'http-equiv="refresh"' in text(waiting)
        assert staff.get(f"{page_url}/report.pdf").status_code == 404  # not made yet
        assert counselor.get(page_url).status_code == 403
    ready = text(staff.get(page_url))
    assert 'data-status="done"' in ready and "report.docx" in ready and 'http-equiv="refresh"' not in ready
    assert f"/reports/annual/runs/{run_id}" in text(staff.get("/reports/annual"))
    word = staff.get(f"{page_url}/report.docx")
    assert word.status_code == 200 and word.mimetype.endswith("wordprocessingml.document")
    archive = zipfile.ZipFile(io.BytesIO(word.get_data()))
    xml = archive.read("word/document.xml").decode()
    assert "第二章 毕业去向落实情况" in xml and "第三章 就业流向" not in xml and "&lt;重点帮扶&gt;" in xml
    assert len([n for n in archive.namelist() if n.startswith("word/media/")]) == 4  # the four charts
    pdf = staff.get(f"{page_url}/report.pdf")
    assert pdf.status_code == 200 and pdf.get_data()[:5] == b"%PDF-"
    assert counselor.get(f"{page_url}/report.pdf").status_code == 403
    (tmp_path / "r.pdf").write_bytes(pdf.get_data())
    body = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    for title in ("第一章", "第二章", "第四章 就业质量（校友跟踪调查）", "第五章 近三届趋势", "第六章"):
        assert title in body, title
    assert "第三章" not in body
    # the pages with charts render (the images are checked by eye: pdftoppm -png r.pdf page)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "2", str(tmp_path / "r.pdf"),
                    str(tmp_path / "page")], check=True)
    assert sorted(p.name for p in tmp_path.glob("page*.png"))

def test_an_annual_report_left_pending_is_shown_as_stalled(web):
    from datetime import timedelta

    from sqlalchemy import update

    from app.platform.db_types import utcnow
    from app.reporting.models import AnnualReportRun

    staff = web.client(ROLE_USERS["staff"])
    web.app.config["RQ_ASYNC"] = True  # enqueued, and no worker takes it
    try:
        asked = staff.post("/reports/annual", data={"year": "2026", "at": "2026-08-31", "chapter": ["scale"]})
    finally:
        web.app.config["RQ_ASYNC"] = False
    page_url = asked.headers["Location"]
    run_id = int(page_url.rsplit("/", 1)[-1])
    assert 'http-equiv="refresh"' in text(staff.get(page_url))
    with web.app.app_context():
        from app.platform.extensions import db

        db.session.execute(update(AnnualReportRun).where(AnnualReportRun.id == run_id)
                           .values(created_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        db.session.remove()
    page = text(staff.get(page_url))
    assert 'data-stalled="true"' in page and 'http-equiv="refresh"' not in page


def test_annual_report_template(web):
    staff = web.client(ROLE_USERS["staff"])
    # the template: downloaded, refused when broken, accepted when changed
    original = staff.get("/reports/annual/template.docx").get_data()
    resp = staff.post("/reports/annual/template", data={"template": (io.BytesIO(b"not a docx"), "t.docx")},
                      content_type="multipart/form-data")
    assert resp.status_code == 303
    changed = original.replace(b"word/document.xml", b"word/document.xml")  # same bytes: a valid template
    resp = staff.post("/reports/annual/template", data={"template": (io.BytesIO(changed), "t.docx")},
                      content_type="multipart/form-data")
    assert resp.status_code == 302
    assert staff.get("/reports/annual/template.docx").get_data() == changed
