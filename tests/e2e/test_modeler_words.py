"""The modeler speaks the user's language in bpmn-js's own parts too: in Chinese the palette, the context pad
and the "change element" menu read Chinese (headless Chromium)."""
from __future__ import annotations

from tests.e2e.conftest import NEEDS_MODELER, WAIT, sign_in
from tests.e2e.test_modeler_browser import add_field, new_form, new_process

pytestmark = NEEDS_MODELER


def test_palette_context_pad_and_menu_in_chinese(browser, live_server, web, unique):
    page = sign_in(browser, live_server, "owner")
    new_process(page, live_server, "实习申请", f"words_{unique}")
    entry = page.locator(".djs-palette .entry[data-action='create.start-event']")
    entry.wait_for(timeout=60_000)
    assert entry.get_attribute("aria-label") == "创建开始事件"
    assert page.locator(".djs-palette .entry[data-action='create.exclusive-gateway']").get_attribute(
        "aria-label") == "创建网关"
    page.evaluate("""() => { const m = window.platformModeler.modeler;  // selecting opens the context pad
      m.get('selection').select(m.get('elementRegistry').get('start')); }""")
    append = page.locator(".djs-context-pad .entry[data-action='append.append-task']")
    append.wait_for(timeout=WAIT)
    assert append.get_attribute("title") == "追加任务"
    page.click(".djs-context-pad .entry[data-action='replace']")
    page.locator(".djs-popup").wait_for(timeout=WAIT)
    assert "定时器开始事件" in page.locator(".djs-popup").inner_text()
    page.close()


def test_the_form_preview_shows_a_conditional_field_only_when_it_applies(browser, live_server, web, unique):
    page = sign_in(browser, live_server, "owner")
    new_process(page, live_server, "请假申请", f"preview_{unique}")
    page.locator(".djs-palette").wait_for(timeout=60_000)
    page.evaluate("""() => { const m = window.platformModeler.modeler;
      const registry = m.get('elementRegistry'), modeling = m.get('modeling');
      const pool = registry.filter((e) => e.type === 'bpmn:Participant')[0];
      const task = modeling.createShape({ type: 'bpmn:UserTask' }, { x: 400, y: 200 }, pool);
      modeling.updateProperties(task, { id: 'ask', name: '填写申请' });
      m.get('selection').select(registry.get('ask')); }""")
    editor = new_form(page, "请假申请表", f"leave_{unique}")
    add_field(editor, "radio", "类型", "kind", options={"sick": "病假", "other": "其他"})
    add_field(editor, "textarea", "其他原因", "reason")
    editor.locator("select[name=field_condition_field]").select_option("kind")
    editor.locator("select[name=field_condition_value]").select_option('"other"')
    page.wait_for_function("() => document.querySelector('.form-preview').dataset.state === 'ready'"
                           " && document.querySelector('.form-preview textarea[name=reason]')", timeout=WAIT)
    preview = editor.locator(".form-preview")
    reason = preview.locator("textarea[name=reason]")
    assert not reason.is_visible()  # no type chosen yet: the reason's field is hidden, as on the task page
    preview.locator("input[name=kind][value=other]").check()
    reason.wait_for(state="visible", timeout=10_000)
    preview.locator("input[name=kind][value=sick]").check()
    reason.wait_for(state="hidden", timeout=10_000)
    page.close()
