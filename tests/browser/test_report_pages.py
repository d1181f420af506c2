"""The tier report in a real browser: the admin home's dashboard and the report page, with their SVG
charts drawn (screenshots in $TIDU_SCREENSHOT_DIR)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import region
from tests.reports.frames import province_frame
from tracker.models import TierReport

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_dashboard_and_the_report_page(page, staff):
    frame = province_frame()
    report = TierReport.objects.create(report_date=frame.report_date, region=region("320000", "江苏省"),
                                       data_date=frame.data_date, content=frame.to_json(), built_at=timezone.now())
    log_in(page)
    expect(page.locator("#report-dashboard")).to_contain_text("江苏省梯度报告")
    expect(page.locator("#report-dashboard svg")).to_have_count(2)
    page.shots("dashboard")
    page.click("text=查看完整报告")
    page.wait_for_url(f"**/admin/tracker/tierreport/{report.pk}/change/")
    expect(page.locator("#near-misses")).to_contain_text("差 1,879.50万元")
    # The charts are drawn: the pyramid's panels have a size on the page.
    box = page.locator(".report-charts svg").first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200
    page.shots("report-page")
