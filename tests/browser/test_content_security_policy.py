"""The Content-Security-Policy holds in a real browser: the admin and Swagger UI work with it, and the
browser reports no violation (a refused script or style is only visible in the console)."""

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_admin_and_the_api_docs_run_under_the_policy(page, staff):
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    log_in(page)
    page.goto("/admin/tracker/enterprise/")
    page.wait_for_selector("#changelist")
    page.goto("/api/docs/")
    # The UI ran (its initialiser is a script file, not inline) and rendered the operations from the schema.
    page.wait_for_selector(".opblock", timeout=90_000)
    page.shots("swagger-ui")
    violations = [text for text in console if "Content Security Policy" in text or "Refused to" in text]
    assert not violations, violations
