"""What the browser tests share: a real headless Chromium (Debian's chromium, driven by Playwright; no browser
download) whose pages report what the Content-Security-Policy blocked, a live server, signing in, screenshots
(kept in test-artifacts/ for people to look at) and the sizes and waits the flows use.

Every test in this folder is skipped, with the reason, when chromium or the built front-end assets are missing.
The root conftest runs these tests once (on PostgreSQL when it is there, else on SQLite)."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.identity.demo import DEMO_PASSWORD

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
ASSET = ROOT / "app/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"
NEEDS = (
    pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed (make system-deps)"),
    pytest.mark.skipif(not ASSET.exists(), reason="front-end assets not built (make install runs npm ci)"),
)
MODELER = ROOT / "app/static/vendor/modeler/modeler.js"
NEEDS_MODELER = pytest.mark.skipif(not MODELER.exists(), reason="modeler bundle not built (make install)")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WAIT = 30_000  # ms: what a page may take to show a step's outcome on a loaded machine


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if HERE in item.path.parents:
            for mark in NEEDS:
                item.add_marker(mark)


@pytest.fixture
def live_server(web):
    # Playwright evaluates wait_for_function predicates with eval: allowed here, inline script still is not
    web.app.config["CSP_ALLOW_EVAL"] = True
    server = make_server("127.0.0.1", 0, web.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    web.app.config["CSP_ALLOW_EVAL"] = False


class PolicyCheckedBrowser:
    """The browser, whose pages report what the Content-Security-Policy blocked (an inline script or handler,
    a script from elsewhere): every page of every flow must work under the policy."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.blocked: list[str] = []

    def new_page(self, **options):
        page = self._browser.new_page(**options)
        page.on("console", lambda message: self.blocked.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text else None)
        return page

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        checked = PolicyCheckedBrowser(browser)
        yield checked
        browser.close()
        assert not checked.blocked, "blocked by the Content-Security-Policy:\n" + "\n".join(checked.blocked)


def sign_in(browser, base: str, username: str, viewport: dict = DESKTOP, *, touch: bool = False,
            locale: str = "zh-CN", init_script: str | None = None):
    """A signed-in page of its own browser context. `touch`: a phone's browser (touch events, mobile
    viewport); `init_script`: run in every document before the page's own scripts."""
    page = browser.new_page(locale=locale, viewport=viewport, has_touch=touch, is_mobile=touch)
    if init_script:
        page.add_init_script(init_script)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def shot(page, name: str, backend: str, selector: str | None = None) -> None:
    """test-artifacts/<backend>-<name>.png: the whole page, or the element `selector` finds."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = str(ARTIFACTS / f"{backend}-{name}.png")
    if selector:
        page.locator(selector).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=True)


def no_sideways_scrolling(page) -> None:
    """The page fits the window's width (a pixel of sub-pixel rounding allowed)."""
    width, window, lang = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth, document.documentElement.lang]")
    assert width <= window + 1, f"{page.url} ({lang}) scrolls sideways: {width} px content in a {window} px window"
