"""The modeler speaks the user's language in bpmn-js's own parts too: in Chinese the palette, the context pad
and the "change element" menu read Chinese (headless Chromium)."""
from __future__ import annotations

from tests.e2e.conftest import WAIT, sign_in


def test_palette_context_pad_and_menu_in_chinese(browser, live_server, web, unique):
    page = sign_in(browser, live_server, "owner")
    page.goto(f"{live_server}/modeler/")
    page.fill("#new-process input[name=name]", "实习申请")
    page.fill("#new-process input[name=process_key]", f"words_{unique}")
    page.click("#new-process button")
    page.wait_for_url(f"**/modeler/words_{unique}/edit", timeout=60_000)
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
    page.goto(f"{live_server}/modeler/")
    page.fill("#new-process input[name=name]", "请假申请")
    page.fill("#new-process input[name=process_key]", f"preview_{unique}")
    page.click("#new-process button")
    page.wait_for_url(f"**/modeler/preview_{unique}/edit", timeout=60_000)
    page.locator(".djs-palette").wait_for(timeout=60_000)
    page.evaluate("""() => { const m = window.platformModeler.modeler;
      const registry = m.get('elementRegistry'), modeling = m.get('modeling');
      const pool = registry.filter((e) => e.type === 'bpmn:Participant')[0];
      const task = modeling.createShape({ type: 'bpmn:UserTask' }, { x: 400, y: 200 }, pool);
      modeling.updateProperties(task, { id: 'ask', name: '填写申请' });
      m.get('selection').select(registry.get('ask')); }""")
    page.click("[data-entry-id='platform-form-actions'] [data-action='platform.form.new']")
    page.fill("dialog input[name=form_title]", "请假申请表")
    page.fill("dialog input[name=form_name]", f"leave_{unique}")
    page.click("dialog [data-action='创建'], dialog [data-action='Create']")
    editor = page.locator("dialog .form-editor")
    editor.wait_for(timeout=WAIT)
    editor.locator("select[name=new_field_type]").select_option("radio")
    editor.locator("[data-action=add-field]").click()
    editor.locator("input[name=field_label]").fill("类型")
    editor.locator("input[name=field_key]").fill("kind")
    editor.locator("input[name=option_value_0]").fill("sick")
    editor.locator("input[name=option_label_0]").fill("病假")
    editor.locator("input[name=option_value_1]").fill("other")
    editor.locator("input[name=option_label_1]").fill("其他")
    editor.locator("select[name=new_field_type]").select_option("textarea")
    editor.locator("[data-action=add-field]").click()
    editor.locator("input[name=field_label]").fill("其他原因")
    editor.locator("input[name=field_key]").fill("reason")
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
