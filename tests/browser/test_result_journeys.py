"""The results journeys of issue 12 in a real browser: find 苏州's near misses for 专精特新 and export
them (the download read back with openpyxl); open a result's explanation."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.admin.conftest import DEFINITION
from tests.browser.conftest import log_in
from tests.factories import AnnualMetricsFactory, EnterpriseFactory, TierFactory, make_uscc, region
from tracker.models import EligibilityResult, EvaluationRun, Ruleset
from tracker.services.runs import run_start, run_sync

pytestmark = pytest.mark.django_db(transaction=True)


def near_miss(firm, tier, ruleset):
    # Bits 0 and 1 of the bitmap: the root and its first criterion, 研发费用不低于100万元, fail.
    return EligibilityResult.objects.create(
        enterprise=firm,
        tier=tier,
        fiscal_year=2025,
        status="not_eligible",
        near_miss=True,
        failing_count=1,
        shortfall=0.05,
        ruleset=ruleset,
        failed_nodes=b"\x03",
        input_hash=0,
        evaluated_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )


def test_find_suzhous_near_misses_for_specialized_smes_and_export_them(page, staff):
    tier = TierFactory()
    ruleset = Ruleset.objects.create(
        tier=tier,
        version="MIIT-2022-63",
        effective_from=dt.date(2022, 6, 1),
        status="active",
        reference="工信部企业〔2022〕63号",
        definition=DEFINITION,
    )
    region("320000", "江苏省")
    suzhou, nanjing = (
        region("320506", "吴中区", region("320500", "苏州市")),
        region("320102", "玄武区", region("320100", "南京市")),
    )
    here = EnterpriseFactory(region=suzhou, name="苏州丙传感技术有限公司", uscc=make_uscc("320506"))
    there = EnterpriseFactory(region=nanjing, name="南京丁材料科技有限公司", uscc=make_uscc("320102"))
    AnnualMetricsFactory(enterprise=here, fiscal_year=2025, rd_expense=900_000)
    near_miss(here, tier, ruleset)
    near_miss(there, tier, ruleset)

    log_in(page)
    page.goto("/admin/tracker/eligibilityresult/")
    page.shots("results")
    page.click("#changelist-filter details[data-filter-title='所在地区'] a:text-is('苏州市')")
    page.click("#changelist-filter details[data-filter-title='梯度层级'] a:text-is('专精特新中小企业')")
    page.click("#changelist-filter details[data-filter-title='接近达标'] a:text-is('是')")
    expect(page.locator("#result_list")).to_contain_text("苏州丙传感技术有限公司")
    expect(page.locator("#result_list")).not_to_contain_text("南京丁材料科技有限公司")
    expect(page.locator("#result_list")).to_contain_text("研发费用不低于100万元")  # what fails, as a column
    page.shots("suzhou-near-misses")

    with page.expect_download() as download:
        page.click("a.export-link:text-is('导出差距明细')")
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "企业名称",
        "统一社会信用代码",
        "设区市",
        "县（市、区）",
        "产业集群",
        "层级",
        "年度",
        "条件",
        "实际值",
        "要求",
        "差距",
    )
    assert [row[1] for row in rows[1:]] == ["苏州丙传感技术有限公司"]
    assert rows[1][3:5] == ("苏州市", "吴中区")
    assert rows[1][8:] == ("研发费用不低于100万元", "90.00 万元", "≥ 100.00 万元", "10.00 万元")

    with page.expect_download() as download:
        page.click("a.export-link:text-is('导出 Excel')")
    rows = list(load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["苏州丙传感技术有限公司"]


def test_open_a_results_explanation(page, staff):
    tier = TierFactory()
    Ruleset.objects.create(
        tier=tier,
        version="MIIT-2022-63",
        effective_from=dt.date(2022, 6, 1),
        status="active",
        reference="工信部企业〔2022〕63号",
        definition=DEFINITION,
    )
    firm = EnterpriseFactory(region=region("320506", "吴中区", region("320500", "苏州市")), name="苏州戊机器人有限公司")
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2025, rd_expense=2_500_000)
    run_sync(run=run_start(kind=EvaluationRun.Kind.MANUAL, as_of=dt.date(2026, 6, 1), dispatch=False))

    log_in(page)
    page.goto(f"/admin/tracker/enterprise/{firm.pk}/change/")
    page.shots("enterprise")
    page.click("a:text-is('逐项评价')")
    expect(page.locator("table.eligibility-explanation")).to_be_visible()
    expect(page.locator("table.eligibility-explanation")).to_contain_text("研发费用不低于100万元")
    expect(page.locator("table.eligibility-explanation")).to_contain_text("250.00 万元")
    expect(page.locator("#content h2").first).to_contain_text("苏州戊机器人有限公司 · 专精特新中小企业 · 2025 年度")
    page.shots("explanation")
    assert "/eligibilityresult/" in page.url and "/by/" not in page.url  # the stable link redirected
