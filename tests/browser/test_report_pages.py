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


def test_building_a_report_and_subscribing_to_the_nightly_one(page, staff):
    frame = province_frame()
    report = TierReport.objects.create(report_date=frame.report_date, region=region("320000", "江苏省"),
                                       data_date=frame.data_date, content=frame.to_json(), built_at=timezone.now())
    region("320500", "苏州市")
    log_in(page)
    page.goto(f"/admin/tracker/tierreport/{report.pk}/change/")
    changes = page.locator("#changes")
    expect(changes).to_contain_text("上年度营业收入：4,210.00万元 → 5,360.25万元（要求 ≥ 5,000.00万元）")
    expect(changes).to_contain_text("已认定为专精特新中小企业：未达标 → 达标")
    expect(page.locator("#near-misses")).to_contain_text("链主企业（集成电路产业集群）")
    changes.screenshot(path=str(page.shots.folder / "changes-section.png"))
    page.click("#report-subscribe button")
    expect(page.locator("#report-subscribe")).to_contain_text("您已订阅本范围的夜间报告")
    page.shots("report-page-subscribed")
    page.goto("/admin/tracker/tierreport/")
    page.click("#my-subscriptions")
    page.select_option("#subscribe-form select", "320500")
    page.click("#subscribe-form button")
    expect(page.locator("#subscriptions")).to_contain_text("苏州市（320500）")
    page.shots("my-subscriptions")
    page.goto("/admin/tracker/tierreport/")
    page.click("#build-report")
    page.fill("input[name=report_date]", "2026-12-02")
    page.click("#report-build-form input[type=submit]")
    expect(page.locator("#report-build-form")).to_contain_text("尚无已完成的全量评价运行")  # no run in this test
    page.shots("build-form")
