"""The batch pages: candidates with their current eligibility, steps as actions, the 公示 list as xlsx."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import EnterpriseFactory, TierFactory
from tests.test_batches import result
from tracker.models import DesignationBatch
from tracker.services import batches as services


@pytest.fixture
def batch(admin_user):
    tier = TierFactory()
    batch = services.batch_create(
        user=admin_user, tier=tier, year=2026, name="2026年第一批", document_no="苏工信中小〔2026〕1号",
        publicity_start=dt.date(2026, 6, 10), publicity_end=dt.date(2026, 6, 16), objection_contact="中小企业处 025-1",
    )
    stays, drops = EnterpriseFactory(name="甲公司"), EnterpriseFactory(name="乙公司")
    result(stays, tier, "eligible")
    result(drops, tier, "eligible")
    services.batch_candidates_add(batch=batch, candidates=[(stays.pk, None), (drops.pk, None)], user=admin_user)
    result_of_drops = drops.eligibility_results.get()
    result_of_drops.status = "not_eligible"
    result_of_drops.save()
    return batch


def test_the_batch_page_flags_candidates_no_longer_eligible(client, admin_user, batch):
    client.force_login(admin_user)
    page = client.get(reverse("admin:tracker_designationbatch_change", args=[batch.pk])).content.decode()
    assert "甲公司" in page and "乙公司" in page
    assert page.count("no-longer-eligible") == 1 and "不符合（不再符合）" in page
    assert "deletelink" not in page


def test_the_publicity_list_exports_as_xlsx_with_notice_lines(client, admin_user, batch):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:tracker_designationbatch_changelist"),
        {"action": "export_publicity_list", "_selected_action": [batch.pk]},
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["A1"].value == "2026年专精特新中小企业2026年第一批公示名单"
    assert "异议受理：中小企业处 025-1" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["序号", "企业名称", "统一社会信用代码", "所在地区", "层级", "批次"]
    assert sheet["B4"].value == "甲公司" and sheet.max_row == 5


def test_steps_run_as_actions_and_report_refusals(client, admin_user, batch):
    client.force_login(admin_user)
    url = reverse("admin:tracker_designationbatch_changelist")
    page = client.post(url, {"action": "publish", "_selected_action": [batch.pk]}, follow=True).content.decode()
    assert "不能进行此操作" in page
    client.post(url, {"action": "publicize", "_selected_action": [batch.pk]})
    assert DesignationBatch.objects.get().status == "publicizing"
