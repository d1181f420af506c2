"""A new version of a tier's criteria in a real browser: copy the ruleset in force as a draft with a new
effective date, change a threshold in the table (a typo first), read the preview; then the YAML."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import AnnualMetricsFactory, EnterpriseFactory, RegionFactory
from tracker.models import Ruleset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_force(transactional_db):
    call_command("bootstrap", verbosity=0)
    region = RegionFactory()
    for revenue in (12_000_000, 18_000_000):
        AnnualMetricsFactory(enterprise=EnterpriseFactory(region=region), fiscal_year=2025, revenue=revenue)
    return Ruleset.objects.filter(tier="specialized_sme", status="active", mode="new").latest("effective_from")


def draft_opened(page, in_force) -> Ruleset:
    """Log in, copy the ruleset in force as a draft (the default version and date), open its page."""
    log_in(page)
    page.goto(f"/admin/tracker/ruleset/{in_force.pk}/copy/")
    page.click("text=创建草稿")
    expect(page.locator("#criteria-form")).to_be_visible()
    draft = Ruleset.objects.get(version=f"{in_force.version}-draft")
    page.goto(f"/admin/tracker/ruleset/{draft.pk}/change/")
    return draft


def test_a_new_version_of_the_criteria_from_the_table(page, staff, in_force):
    log_in(page)
    page.goto(f"/admin/tracker/ruleset/{in_force.pk}/change/")
    page.click("#ruleset-copy")
    page.fill("#id_version", "JS-2027-01")
    page.fill("#id_effective_from", "2027-01-01")
    page.shots("copy-as-new-draft")
    page.click("text=创建草稿")
    expect(page.locator("#criteria-form")).to_be_visible()
    page.shots("criteria-table")

    revenue_row = page.locator("tr.criterion", has=page.locator("code", has_text="revenue")).first
    revenue_row.locator("input.threshold-number").fill("两千")
    page.click("#criteria-save")
    expect(page.locator("#criteria-errors")).to_contain_text("的门槛值：请输入数字")
    page.shots("criteria-table-with-an-error")

    revenue_row = page.locator("tr.criterion", has=page.locator("code", has_text="revenue")).first
    revenue_row.locator("input.threshold-number").fill("2000")
    page.click("#criteria-save")
    # Tasks run eagerly without a broker (as in the embedded demo): the preview is there at once.
    expect(page.locator("#preview-result")).to_be_visible()
    expect(page.locator("#preview-next")).to_contain_text("确认无误后，可在编辑页将状态改为“生效”")
    page.shots("preview-after-saving")
    draft = Ruleset.objects.get(version="JS-2027-01")
    assert draft.revision == 2

    page.click("text=前往生效")
    expect(page.locator("#ruleset-preview-state")).to_contain_text("第 2 次修订")
    page.select_option("#id_status", "active")
    page.shots("activating-a-previewed-draft")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == "active"


def test_a_yaml_with_a_structural_error_is_refused_with_its_path(page, staff, in_force, tmp_path):
    draft_opened(page, in_force)
    with page.expect_download() as download:
        page.click("#ruleset-yaml")
    text = open(download.value.path(), encoding="utf-8").read()
    bad = tmp_path / "criteria.yaml"
    bad.write_text(text.replace("kind: any", "kind: either", 1), encoding="utf-8")
    page.click("#ruleset-upload")
    page.set_input_files("#id_file", str(bad))
    page.click("text=上传并校验")
    expect(page.locator("#upload-errors")).to_contain_text("YAML 路径 children")
    expect(page.locator("#upload-errors")).to_contain_text("未知的节点类型（kind）“either”")
    page.shots("yaml-upload-refused")


def test_score_bands_and_items_are_rows_of_the_table(page, staff, in_force):
    scored = Ruleset.objects.get(tier="specialized_sme", version="MIIT-2022-63-A2-R2")
    log_in(page)
    page.goto(f"/admin/tracker/ruleset/{scored.pk}/copy/")
    page.click("text=创建草稿")
    expect(page.locator("#criteria-form")).to_be_visible()
    expect(page.locator("tr.group", has_text="分档计分，满分 5 分").first).to_be_visible()
    expect(page.locator("tr.criterion", has_text="第2档").first).to_be_visible()
    page.shots("score-bands")


def test_an_activation_opened_before_the_criteria_changed_is_refused_once(page, staff, in_force):
    """The administrator opens the draft's page to activate it; meanwhile a colleague saves new
    criteria. The activation is not written: the page names both revisions, and the status stays
    draft until the new criteria have been seen (and previewed)."""
    draft = draft_opened(page, in_force)
    page.select_option("#id_status", "active")
    # A colleague's save from the criteria table, while this page is open.
    Ruleset.objects.filter(pk=draft.pk).update(revision=draft.revision + 1)
    page.click("input[name=_save]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".errorlist.nonfield")).to_contain_text(
        f"您打开的是第 {draft.revision} 次修订，当前为第 {draft.revision + 1} 次"
    )
    page.shots("activation-refused-criteria-changed-meanwhile")
    draft.refresh_from_db()
    assert draft.status == "draft"
    # Still the draft's editable page, the administrator's choice kept: submitting again is deliberate.
    expect(page.locator("input[name=_save]")).to_be_visible()
    expect(page.locator("#id_status")).to_have_value("active")
