"""Dashboards in a real headless Chromium: the operations overview and a version's diagram with badges, a
process's analytics with its heatmap (a period changes the figures), the destination-rate report (another
breakdown changes the table). Every chart must be drawn (ECharts sets data-ready); screenshots are kept in
test-artifacts/."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.engine.models import ProcessDefinition
from tests.e2e.conftest import ROOT, shot, sign_in

WAIT_MS = 60_000


def charts_drawn(page) -> None:
    page.wait_for_function(
        "() => { const c = [...document.querySelectorAll('[data-chart]')];"
        " return c.length > 0 && c.every(e => e.dataset.ready === 'true' && e.querySelector('canvas')); }",
        timeout=WAIT_MS)


def _analysed_process(web) -> str:
    """A copy of the recommendation process (it has a diagram) under its own key, three instances through it."""
    from app import engine
    from app.platform.extensions import db
    from tests.engine.test_engine_core import deploy_one
    from tests.reporting.helpers import complete

    pid = f"e2e_{uuid.uuid4().hex[:8]}"
    xml = (ROOT / "bpmn/recommendations/employment_recommendation.bpmn").read_text(encoding="utf-8")
    with web.app.app_context():
        definition = deploy_one(xml.replace("employment_recommendation", pid), name=f"{pid}.bpmn")
        for decision in ("issue", "issue", "reject"):
            instance_id = engine.start_instance(definition, {})
            complete(instance_id, "fill_application")
            complete(instance_id, "counselor_review", {"counselor_decision": "approve"})
            complete(instance_id, "office_review", {"office_decision": decision})
        db.session.remove()
    return pid


def test_dashboards_render_and_filters_change_the_figures(browser, live_server, web):
    backend = web.app.config["BACKEND"]
    base = live_server
    pid = _analysed_process(web)
    admin = sign_in(browser, base, "admin")
    admin.goto(f"{base}/operations/")
    charts_drawn(admin)
    shot(admin, "reporting-01-operations", backend)
    definition_id = web.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_key == pid))
    admin.goto(f"{base}/operations/definitions/{definition_id}")
    admin.wait_for_selector("#report-diagram[data-ready=true]", timeout=WAIT_MS)
    assert admin.locator("#report-diagram svg").count() > 0

    admin.goto(f"{base}/analytics/{pid}")
    charts_drawn(admin)
    admin.wait_for_selector("#report-diagram[data-ready=true]", timeout=WAIT_MS)
    assert admin.locator("#report-diagram .diagram-badge.heat").count() == 3  # the three user tasks
    assert admin.locator("[data-kpi=count] b").inner_text().strip() == "3"
    shot(admin, "reporting-02-analytics", backend)
    admin.fill("input[name=from]", "2190-01-01")
    admin.click("#period button")
    admin.wait_for_url(f"**/analytics/{pid}?from=2190-01-01**", timeout=WAIT_MS)
    assert admin.locator("[data-kpi=count] b").inner_text().strip() == "0"

    staff = sign_in(browser, base, "staff1")
    staff.goto(f"{base}/reports/destinations?by=college")
    charts_drawn(staff)
    colleges = staff.locator("#rates tbody tr[data-group]").count()
    shot(staff, "reporting-03-destination-rate", backend)
    staff.select_option("select[name=by]", "gender")
    staff.click("#report-filter button")
    staff.wait_for_url("**by=gender**", timeout=WAIT_MS)
    charts_drawn(staff)
    genders = {g.get_attribute("data-group") for g in staff.locator("#rates tbody tr[data-group]").all()}
    assert genders and genders <= {"男", "女", "—"}
    assert colleges > 0 and staff.locator("#rates tbody tr[data-group]").count() == len(genders)
    staff.goto(f"{base}/reports/agreements")
    charts_drawn(staff)
    shot(staff, "reporting-04-agreements", backend)


def _sign_an_agreement_today(web) -> None:
    """An agreement of a new graduate with the demo employer comes into force now, and the history event of
    its process reaches the listeners (what the signing step's commit does)."""
    from app.agreements.models import Agreement
    from app.identity.models import College, Major, Student, User
    from app.platform.db_types import utcnow
    from app.platform.extensions import db
    from app.reporting import bigscreen
    from tests.web import ROLE_USERS

    tag = uuid.uuid4().hex[:8]
    with web.app.app_context():
        employer = db.session.execute(select(User.employer_id).where(User.username == ROLE_USERS["employer"])
                                      ).scalar_one()
        college, major = db.session.execute(select(College.id, Major.id).join(Major, Major.college_id == College.id)
                                            ).first()
        user = User(username=f"bs{tag}", display_name=f"毕业生{tag}")
        db.session.add(user)
        db.session.flush()
        db.session.add(Student(user_id=user.id, student_no=f"BS{tag}", college_id=college, major_id=major,
                               graduation_year=2026))
        now = utcnow()
        db.session.add(Agreement(student_id=user.id, employer_id=employer, status="in_force", terms={},
                                 offered_at=now, in_force_at=now))
        db.session.commit()
        from app.engine.history import tell_listeners
        tell_listeners([{"process_key": "tripartite_agreement", "event_type": "task_completed"}])
        assert bigscreen.CHANNEL
        db.session.remove()


def test_big_screen_updates_itself_when_an_agreement_is_signed(browser, live_server, web):
    backend = web.app.config["BACKEND"]
    base = live_server
    staff = sign_in(browser, base, "staff1", viewport={"width": 1920, "height": 1080})
    staff.goto(f"{base}/bigscreen/")
    charts_drawn(staff)
    staff.wait_for_function("() => document.documentElement.dataset.live === 'open'", timeout=WAIT_MS)
    before = int(staff.locator("[data-field=agreements_signed]").inner_text())
    shot(staff, "reporting-05-bigscreen", backend)
    staff.evaluate("() => { window.__notReloaded = true; }")
    _sign_an_agreement_today(web)
    staff.wait_for_function(
        f"() => document.querySelector('[data-field=agreements_signed]').textContent.trim() === '{before + 1}'",
        timeout=WAIT_MS)
    assert staff.evaluate("() => window.__notReloaded === true")  # updated in place, no reload
    shot(staff, "reporting-06-bigscreen-after", backend)


def test_annual_report_is_made_by_the_worker_and_downloaded(browser, live_server, web, tmp_path):
    """Asked for on the page, made by a real worker process while the page waits (it refreshes itself), the
    PDF downloaded: its text has the chapters asked for."""
    import subprocess

    from tests.procs import jobs_for_a_worker

    backend = web.app.config["BACKEND"]
    staff = sign_in(browser, live_server, "staff1")
    staff.goto(f"{live_server}/reports/annual")
    staff.fill("input[name=year]", "2026")
    staff.fill("input[name=at]", "2026-08-31")
    staff.uncheck("input[name=chapter][value=flows]")
    with jobs_for_a_worker(web.app):
        staff.click("#annual-form button")
        staff.wait_for_selector("#annual-run[data-status=queued]", timeout=WAIT_MS)
    staff.wait_for_selector("#annual-run[data-status=done]", timeout=WAIT_MS)
    shot(staff, "reporting-07-annual-report-ready", backend)
    with staff.expect_download() as download:
        staff.click("#download-pdf")
    pdf = tmp_path / "annual.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for title in ("第一章", "第二章 毕业去向落实情况", "第四章 就业质量（校友跟踪调查）", "第五章 近三届趋势", "第六章"):
        assert title in text, title
    assert "第三章" not in text
