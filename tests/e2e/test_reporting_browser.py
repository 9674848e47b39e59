"""Dashboards in a real headless Chromium: the operations overview and a version's diagram with badges, a
process's analytics with its heatmap (a period changes the figures), the destination-rate report (another
breakdown changes the table). Every chart must be drawn (ECharts sets data-ready); screenshots are kept in
test-artifacts/."""
from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select

from app.engine.models import ProcessDefinition
from tests.e2e.test_browser import ARTIFACTS, ASSET, CHROMIUM, browser, live_server, sign_in  # noqa: F401 - fixtures

pytestmark = __import__("tests.e2e.test_browser", fromlist=["pytestmark"]).pytestmark
WAIT_MS = 60_000
ROOT = Path(__file__).resolve().parents[2]


def shot(page, name: str, backend: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{backend}-reporting-{name}.png"), full_page=True)


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
    shot(admin, "01-operations", backend)
    definition_id = web.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_key == pid))
    admin.goto(f"{base}/operations/definitions/{definition_id}")
    admin.wait_for_selector("#report-diagram[data-ready=true]", timeout=WAIT_MS)
    assert admin.locator("#report-diagram svg").count() > 0

    admin.goto(f"{base}/analytics/{pid}")
    charts_drawn(admin)
    admin.wait_for_selector("#report-diagram[data-ready=true]", timeout=WAIT_MS)
    assert admin.locator("#report-diagram .diagram-badge.heat").count() == 3  # the three user tasks
    assert admin.locator("[data-kpi=count] b").inner_text().strip() == "3"
    shot(admin, "02-analytics", backend)
    admin.fill("input[name=from]", "2999-01-01")
    admin.click("#period button")
    admin.wait_for_url(f"**/analytics/{pid}?from=2999-01-01**", timeout=WAIT_MS)
    assert admin.locator("[data-kpi=count] b").inner_text().strip() == "0"

    staff = sign_in(browser, base, "staff1")
    staff.goto(f"{base}/reports/destinations?by=college")
    charts_drawn(staff)
    colleges = staff.locator("#rates tbody tr[data-group]").count()
    shot(staff, "03-destination-rate", backend)
    staff.select_option("select[name=by]", "gender")
    staff.click("#report-filter button")
    staff.wait_for_url("**by=gender**", timeout=WAIT_MS)
    charts_drawn(staff)
    genders = {g.get_attribute("data-group") for g in staff.locator("#rates tbody tr[data-group]").all()}
    assert genders and genders <= {"男", "女", "—"}
    assert colleges > 0 and staff.locator("#rates tbody tr[data-group]").count() == len(genders)
    staff.goto(f"{base}/reports/agreements")
    charts_drawn(staff)
    shot(staff, "04-agreements", backend)
