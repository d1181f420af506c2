"""Browser journeys: Playwright for Python driving Debian's /usr/bin/chromium against a live server.

The browser is the one scripts/browser.sh installs (called by .ci/run); Playwright never downloads
one. Screenshots of every step go to $TIDU_SCREENSHOT_DIR (default browser-screenshots/), which CI
keeps as its output.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls there
# unless told the calls are not made from async code (they are not: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("TIDU_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "browser-screenshots"))
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run scripts/browser.sh"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1400, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.shots = Shots(request.node.name, page)
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        page.shots("failure")
    context.close()


class Shots:
    """page.shots("step name") saves a full-page screenshot as <test>/<nn>-<step>.png."""

    def __init__(self, test_name: str, page):
        self.folder = SCREENSHOTS / re.sub(r"[^\w-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page, self.count = page, 0

    def __call__(self, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture
def staff(transactional_db):
    from tests.factories import UserFactory

    return UserFactory(username="zhangli", is_staff=True, is_superuser=True, password=PASSWORD)


def log_in(page, username="zhangli"):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
