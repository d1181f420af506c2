"""The staff journeys of issue 12 in a real browser: log in; import a metrics file with a bad row,
read the error, fix it, commit; build a batch from candidates, publish it, see the designations."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import AnnualMetricsFactory, EnterpriseFactory, RegionFactory, TierFactory
from tests.imports.conftest import workbook
from tracker.models import AnnualMetrics, Designation, EligibilityResult, Ruleset

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = ["序号", "统一社会信用代码", "企业名称", "年度", "营业收入（万元）", "研发费用（万元）", "从业人员（人）"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def no_recompute(monkeypatch):
    # The journeys are about the pages; the recompute a commit queues is tested in tests/tasks.
    monkeypatch.setattr("tracker.services.recompute_trigger.enqueue_enterprises", lambda enterprise_ids: None)


def test_log_in(page, staff):
    page.goto("/admin/")
    page.shots("login-page")
    log_in(page)
    expect(page.locator("#site-name")).to_contain_text("梯度培育管理系统")
    page.shots("admin-index")


def test_import_metrics_read_the_error_fix_and_commit(page, staff, tmp_path):
    suzhou = RegionFactory()
    firm = EnterpriseFactory(region=suzhou, name="苏州甲精密科技有限公司", founded_on=dt.date(2012, 5, 1))
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, main_business_revenue=None, employees=120, rd_staff=30)
    bad = tmp_path / "年度更新.xlsx"
    bad.write_bytes(workbook(HEADERS, ["1", firm.uscc, firm.name, 2025, "五千八百", 290, 125],
                             ["2", firm.uscc, firm.name, 2024, 5200, 260, 120]))
    log_in(page)
    page.goto("/admin/tracker/annualmetrics/")
    page.click("text=从 Excel 导入")
    page.shots("upload-page")
    page.set_input_files("#id_file", str(bad))
    page.click("text=上传并预览")
    expect(page.locator("#count-rejected")).to_have_text("1")
    expect(page.locator("#rejected-rows")).to_contain_text("“五千八百”不是数字。")
    expect(page.locator("#confirm-import")).to_have_count(0)
    page.shots("preview-with-rejected-row")
    with page.expect_download() as download:
        page.click("#rejected-download")
    assert download.value.suggested_filename.endswith(".xlsx")

    fixed = tmp_path / "年度更新-改正.xlsx"
    fixed.write_bytes(workbook(HEADERS, ["1", firm.uscc, firm.name, 2025, 5800, 290, 125],
                               ["2", firm.uscc, firm.name, 2024, 5200, 260, 120]))
    page.click("a.button:has-text('重新上传')")
    page.set_input_files("#id_file", str(fixed))
    page.click("text=上传并预览")
    expect(page.locator("#count-new")).to_have_text("1")
    expect(page.locator("#count-changed")).to_have_text("1")
    expect(page.locator("#changed-rows")).to_contain_text("5,000.00")
    expect(page.locator("#changed-rows")).to_contain_text("5,200.00")
    page.shots("preview-fixed")
    page.click("#confirm-import")
    expect(page.locator("#import-status")).to_have_text("已导入")
    page.shots("committed")
    assert AnnualMetrics.objects.get(enterprise=firm, fiscal_year=2025).revenue == 58_000_000
    page.goto("/admin/tracker/importjob/")
    expect(page.locator("#result_list")).to_contain_text("年度更新-改正.xlsx")
    page.shots("import-history")


def test_build_a_batch_from_candidates_publish_it_and_see_the_designations(page, staff):
    tier = TierFactory()
    suzhou = RegionFactory()
    firm = EnterpriseFactory(region=suzhou, name="苏州乙智能装备有限公司")
    ruleset = Ruleset.objects.create(tier=tier, version="t", effective_from=dt.date(2022, 1, 1), reference="r", definition={})
    EligibilityResult.objects.create(enterprise=firm, tier=tier, fiscal_year=2025, status="eligible", ruleset=ruleset,
                                     input_hash=0, evaluated_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    log_in(page)
    page.goto("/admin/tracker/designationbatch/add/")
    page.select_option("#id_kind", "new")
    page.select_option("#id_tier", tier.code)
    page.fill("#id_year", "2026")
    page.fill("#id_name", "2026年第一批")
    page.fill("#id_document_no", "苏工信中小〔2026〕1号")
    page.fill("#id_publicity_start", "2026-06-10")
    page.fill("#id_publicity_end", "2026-06-16")
    page.fill("#id_objection_contact", "省工信厅中小企业处，025-00000000")
    page.shots("new-batch")
    page.click("input[name=_save]")

    page.goto(f"/admin/tracker/eligibilityresult/?region=320500&designated=0&status=eligible&tier={tier.code}")
    page.shots("candidates-in-results")
    page.check("input.action-select")
    page.select_option("select[name=action]", "add_to_batch")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("1 家")
    page.click(".messagelist a")
    expect(page.locator("#batch-candidates")).to_contain_text("苏州乙智能装备有限公司")
    page.shots("batch-with-candidate")

    page.click("#step-publicize")
    expect(page.locator(".messagelist .success")).to_contain_text("已开始公示")
    page.shots("batch-publicizing")
    page.on("dialog", lambda dialog: dialog.accept())  # "发布后认定即生效……确定发布？"
    page.click("#step-publish")
    expect(page.locator(".messagelist .success")).to_contain_text("已发布")
    page.shots("batch-published")
    page.goto("/admin/tracker/designation/")
    expect(page.locator("#result_list")).to_contain_text("苏州乙智能装备有限公司")
    expect(page.locator("#result_list")).to_contain_text("有效")
    page.shots("designations")
    designation = Designation.objects.get(enterprise=firm)
    assert designation.status == "active" and designation.document_no == "苏工信中小〔2026〕1号"
    assert re.match(r"\d{4}-\d{2}-\d{2}", str(designation.valid_until))
