"""The modeler speaks the user's language in bpmn-js's own parts too: in Chinese the palette, the context pad
and the "change element" menu read Chinese (headless Chromium)."""
from __future__ import annotations

from tests.e2e.test_browser import browser, live_server, sign_in  # noqa: F401


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
    append.wait_for(timeout=30_000)
    assert append.get_attribute("title") == "追加任务"
    page.click(".djs-context-pad .entry[data-action='replace']")
    page.locator(".djs-popup").wait_for(timeout=30_000)
    assert "定时器开始事件" in page.locator(".djs-popup").inner_text()
    page.close()
