"""The inbox in headless Chromium: a counselor lands on the review waiting in his group (with its badge); he
reads an unclaimed review read-only, claims it from there and completes it; a suspended process's task says so
and offers no claim; suspending asks for a confirmation and a reason; at
390x844 the student's home and task lists are stacks of cards with no sideways scrolling, the first task is
visible without scrolling, and the instance diagram pans and zooms. Screenshots go to test-artifacts/."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.engine.models import HistoryEvent, OpenTask
from tests.e2e.conftest import PHONE, WAIT, no_sideways_scrolling, shot, sign_in
from tests.tasklist.test_inbox_work import apply_for_recommendation


def test_counselor_lands_on_group_work_and_a_suspended_task_says_so(browser, live_server, web):
    backend = web.app.config["BACKEND"]
    instance_id, review = apply_for_recommendation(web, "2022010101")
    counselor = sign_in(browser, live_server, "counselor_cs")
    card = counselor.locator(f".task-card:has(a[href='/tasks/{review}'])")
    assert card.count() == 1, "the review waiting in the group is on the landing view"
    assert "在你的小组等待处理" in card.inner_text() and card.locator("button:text('认领')").count() == 1
    assert "张伟" in card.inner_text() and "2022010101" in card.inner_text()  # the BPMN's summary fields
    badge = int(counselor.locator(".mainnav .badge").first.inner_text())
    assert badge == int(counselor.locator("h1 .count").inner_text()) >= 1
    shot(counselor, "inbox-counselor-landing", backend)

    admin = sign_in(browser, live_server, "admin")
    admin.goto(f"{live_server}/instances/{instance_id}")
    admin.click("details.confirm summary:text('挂起')")
    admin.click("button:text('确认暂停')")  # no reason: refused, the question stays open with its message
    admin.wait_for_selector("#reason-suspend-error")
    admin.fill("#reason-suspend", "学生信息待核实")
    admin.click("button:text('确认暂停')")
    admin.wait_for_selector(".flash.success")
    assert admin.locator(".status-suspended").count() == 1
    shot(admin, "inbox-suspend-with-reason", backend)

    counselor.goto(f"{live_server}/tasks/{review}")
    note = counselor.locator(".suspended-note")
    assert "流程已暂停" in note.inner_text() and "学生信息待核实" in note.inner_text()
    assert counselor.locator("button:text('认领')").count() == 0
    assert counselor.locator("form.task-form").count() == 0
    counselor.goto(f"{live_server}/?key=2022010101")
    assert "流程已暂停" in counselor.locator(f".task-card:has(a[href='/tasks/{review}'])").inner_text()
    shot(counselor, "inbox-suspended-task-card", backend)


def test_an_unclaimed_group_task_is_read_before_the_claim(browser, live_server, web, unique):
    backend = web.app.config["BACKEND"]
    instance_id, review = apply_for_recommendation(web, "2022010102", target_city=f"宁波{unique}")
    counselor = sign_in(browser, live_server, "counselor_cs")
    counselor.goto(f"{live_server}/tasks/{review}")
    preview = counselor.locator("fieldset.task-preview")
    assert preview.is_visible() and "只读预览" in preview.inner_text()
    assert counselor.locator("#f-target_city").inner_text() == f"宁波{unique}"  # the student's answer
    approve = counselor.locator("input[name=counselor_decision][value=approve]")
    comment = counselor.locator("textarea[name=counselor_comment]")
    assert approve.is_disabled() and comment.is_disabled() and not comment.is_editable()
    assert counselor.locator("form.task-form").count() == 0
    assert counselor.locator(".form-actions button[value=submit]").count() == 0
    shot(counselor, "inbox-group-task-preview", backend)
    assert web.scalar(select(OpenTask.assignee_id).where(OpenTask.task_guid == review)) is None

    counselor.click(".claim-bar button:text('认领')")
    counselor.wait_for_selector("form.task-form")
    assert counselor.locator("fieldset.task-preview").count() == 0
    counselor.check("input[name=counselor_decision][value=approve]")
    counselor.fill("textarea[name=counselor_comment]", "情况属实，同意推荐")
    counselor.click(".form-actions button[value=submit]")
    counselor.wait_for_url(f"{live_server}/")
    assert "已提交" in counselor.content()
    completed = web.scalar(select(HistoryEvent.id).where(HistoryEvent.task_guid == review,
                                                         HistoryEvent.event_type == "task_completed"))
    assert completed is not None
    assert web.scalar(select(OpenTask.spec_id).where(OpenTask.instance_id == instance_id)) == "office_review"


def test_student_phone_home_cards_and_a_diagram_that_pans_and_zooms(browser, live_server, web):
    backend = web.app.config["BACKEND"]
    student_no = "2022020101"
    client = web.client(student_no)  # a task waiting for the student: a recommendation not yet submitted
    guid = client.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    instance_id, _review = apply_for_recommendation(web, student_no)

    phone = sign_in(browser, live_server, student_no, PHONE, touch=True)
    no_sideways_scrolling(phone)
    first = phone.locator(".task-cards .task-card").first
    assert first.is_visible()
    box = first.bounding_box()
    assert box["y"] + min(box["height"], 80) <= PHONE["height"], "the first task is visible without scrolling"
    assert box["width"] <= PHONE["width"]
    assert phone.locator(f".task-card a[href='/tasks/{guid}']").count() == 1
    shot(phone, "inbox-phone-home", backend)

    phone.goto(f"{live_server}/?view=completed")
    no_sideways_scrolling(phone)
    assert phone.locator(".task-cards .task-card").count() >= 1
    shot(phone, "inbox-phone-task-cards", backend)
    submitted = web.scalar(select(HistoryEvent.task_guid).where(
        HistoryEvent.instance_id == instance_id, HistoryEvent.event_type == "task_completed"))
    # this test's own submission: other tests' completed tasks of the same student may be listed too
    phone.locator(f".task-card[data-guid='{submitted}'] a:text('我提交的内容')").click()
    phone.wait_for_selector(".readonly-form")
    no_sideways_scrolling(phone)

    phone.goto(f"{live_server}/processes/mine")
    no_sideways_scrolling(phone)
    row = phone.locator("table.list tbody tr").first
    assert row.bounding_box()["width"] <= PHONE["width"]
    assert row.evaluate("r => getComputedStyle(r).display") == "block", "rows are cards at phone width"

    phone.goto(f"{live_server}/instances/{instance_id}")
    phone.wait_for_selector("#diagram[data-ready=true]", timeout=WAIT)
    no_sideways_scrolling(phone)
    viewport = phone.locator("#diagram .viewport")

    def transform() -> str:
        return viewport.get_attribute("transform") or ""

    before = transform()
    phone.click(".diagram-tools button[aria-label='放大']")
    phone.wait_for_function("t => document.querySelector('#diagram .viewport').getAttribute('transform') !== t",
                            arg=before)
    zoomed = transform()
    scale = lambda t: float(re.search(r"matrix\(([-\d.e]+)", t).group(1))  # noqa: E731
    assert scale(zoomed) > scale(before)
    # one finger drags the diagram
    diagram = phone.locator("#diagram").bounding_box()
    x, y = diagram["x"] + diagram["width"] / 2, diagram["y"] + diagram["height"] / 2
    phone.evaluate("""([x, y]) => {
        const el = document.getElementById('diagram');
        const touch = (cx, cy) => new Touch({identifier: 1, target: el, clientX: cx, clientY: cy});
        const fire = (type, list) => el.dispatchEvent(new TouchEvent(type, {touches: list, targetTouches: list,
            changedTouches: list, bubbles: true, cancelable: true}));
        fire('touchstart', [touch(x, y)]);
        fire('touchmove', [touch(x - 60, y - 40)]);
        fire('touchend', []);
    }""", [x, y])
    moved = transform()
    assert moved != zoomed and abs(scale(moved) - scale(zoomed)) < 1e-6, "panned, not zoomed"
    shift = [float(v) for v in re.search(r"matrix\(([^)]*)\)", moved).group(1).split(",")[4:]]
    start = [float(v) for v in re.search(r"matrix\(([^)]*)\)", zoomed).group(1).split(",")[4:]]
    assert abs(shift[0] - start[0] + 60) < 1 and abs(shift[1] - start[1] + 40) < 1, "moved with the finger"
    shot(phone, "inbox-phone-diagram", backend)
