"""The batch pages: candidates with their current eligibility, steps as actions, the 公示 list as xlsx."""

import datetime as dt
import io
import subprocess

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


def test_a_long_batch_shows_those_no_longer_eligible_first_and_links_to_them_all(client, admin_user, batch,
                                                                                 monkeypatch):
    monkeypatch.setattr("tracker.admin.batches.CANDIDATES_SHOWN", 1)
    client.force_login(admin_user)
    page = client.get(reverse("admin:tracker_designationbatch_change", args=[batch.pk])).content.decode()
    assert "乙公司" in page and "甲公司" not in page  # 乙 was added second but is no longer eligible
    assert "共 2 家候选企业，此处显示 1 家（不再符合的在前）。" in page
    listed = client.get(reverse("admin:tracker_designation_changelist"), {"designation_batch__id__exact": batch.pk})
    assert {d.enterprise.name for d in listed.context["cl"].result_list} == {"甲公司", "乙公司"}


def test_the_publicity_list_exports_as_xlsx_with_notice_lines(client, admin_user, batch):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:tracker_designationbatch_changelist"),
        {"action": "export_publicity_list", "_selected_action": [batch.pk]},
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["A1"].value == "2026年专精特新中小企业2026年第一批公示名单"
    assert "异议受理：中小企业处 025-1" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["序号", "企业名称", "统一社会信用代码", "设区市", "县（市、区）", "主导产品"]
    assert sheet["B4"].value == "甲公司" and sheet["D4"].value == "苏州市" and sheet.max_row == 5
    page = client.get(reverse("admin:tracker_designationbatch_publicity", args=[batch.pk]))
    assert load_workbook(io.BytesIO(page.content)).worksheets[0]["B5"].value == "乙公司"


def test_steps_run_as_actions_and_report_refusals(client, admin_user, batch):
    client.force_login(admin_user)
    url = reverse("admin:tracker_designationbatch_changelist")
    page = client.post(url, {"action": "publish", "_selected_action": [batch.pk]}, follow=True).content.decode()
    assert "不能进行此操作" in page
    client.post(url, {"action": "publicize", "_selected_action": [batch.pk]})
    assert DesignationBatch.objects.get().status == "publicizing"


def test_steps_run_from_the_batch_page(client, admin_user, batch):
    client.force_login(admin_user)
    change = reverse("admin:tracker_designationbatch_change", args=[batch.pk])
    assert 'id="step-publicize"' in client.get(change).content.decode()
    assert client.get(reverse("admin:tracker_designationbatch_step", args=[batch.pk, "publicize"])).status_code == 403
    client.post(reverse("admin:tracker_designationbatch_step", args=[batch.pk, "publicize"]))
    assert 'id="step-publish"' in client.get(change).content.decode()
    page = client.post(reverse("admin:tracker_designationbatch_step", args=[batch.pk, "publish"]), follow=True)
    assert "已发布" in page.content.decode()
    assert DesignationBatch.objects.get().status == "published"
    assert batch.designations.filter(status="active").count() == 2


def test_objections_are_recorded_and_resolved_on_the_batch_page(client, admin_user, batch):
    services.batch_publicize(batch=batch, user=admin_user)
    candidate = batch.designations.get(enterprise__name="乙公司")
    client.force_login(admin_user)
    change = reverse("admin:tracker_designationbatch_change", args=[batch.pk])
    main = {
        "year": "2026", "name": batch.name, "document_no": batch.document_no, "publicity_start": "2026-06-10",
        "publicity_end": "2026-06-16", "objection_contact": batch.objection_contact,
        "objections-INITIAL_FORMS": "0", "objections-MIN_NUM_FORMS": "0", "objections-MAX_NUM_FORMS": "1000",
    }
    response = client.post(change, {
        **main, "objections-TOTAL_FORMS": "1", "objections-0-designation": candidate.pk,
        "objections-0-received_on": "2026-06-12", "objections-0-objector": "王五", "objections-0-content": "专利无效",
        "objections-0-resolution": "pending", "_continue": "1",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    objection = batch.objections.get()
    assert objection.history.first().history_user == admin_user
    client.post(change, {
        **main, "objections-TOTAL_FORMS": "1", "objections-INITIAL_FORMS": "1", "objections-0-id": objection.pk,
        "objections-0-batch": batch.pk, "objections-0-designation": candidate.pk, "objections-0-received_on": "2026-06-12",
        "objections-0-objector": "王五", "objections-0-content": "专利无效", "objections-0-resolution": "upheld",
        "objections-0-resolution_note": "核实属实", "_continue": "1",
    })
    candidate.refresh_from_db()
    assert candidate.status == "revoked"


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "list.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_the_publicity_list_exports_as_a_pdf_with_the_chinese_text_and_an_embedded_font(
    client, admin_user, batch, tmp_path
):
    client.force_login(admin_user)
    response = client.get(reverse("admin:tracker_designationbatch_publicity_pdf", args=[batch.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "2026年专精特新中小企业2026年第一批公示名单" in text
    assert "苏工信中小〔2026〕1号" in text
    assert "2026-06-10 至 2026-06-16" in text and "中小企业处 025-1" in text
    for header in ["序号", "企业名称", "统一社会信用代码", "设区市", "县（市、区）", "主导产品"]:
        assert header in text
    assert "甲公司" in text and "乙公司" in text
    assert "第 1 页，共 1 页" in text
    fonts = subprocess.run(["pdffonts", "-"], input=response.content, capture_output=True, check=True).stdout.decode()
    assert "WenQuanYi" in fonts and " yes " in fonts  # the CJK font, embedded


def test_a_stale_batch_form_is_refused_and_shows_what_changed(client, admin_user, batch):
    client.force_login(admin_user)
    url = reverse("admin:tracker_designationbatch_change", args=[batch.pk])
    assert 'name="base_version"' in client.get(url).content.decode()
    opened = {
        "year": 2026, "name": "2026年第一批", "document_no": "我的文号", "publicity_start": "2026-06-10",
        "publicity_end": "2026-06-16", "objection_contact": "中小企业处 025-1", "base_version": batch.version,
    }
    services.batch_update(batch=batch, user=admin_user, name="他人改的名称")  # someone else saves
    page = client.post(url, opened)
    assert page.status_code == 200
    text = page.content.decode()
    assert "此记录已被他人修改" in text and "他人改的名称" in text and "我的文号" in text
    batch.refresh_from_db()
    assert (batch.name, batch.document_no, batch.version) == ("他人改的名称", "苏工信中小〔2026〕1号", 2)
    again = client.post(url, {**opened, "base_version": 2, "name": "他人改的名称"})
    assert again.status_code == 302
    batch.refresh_from_db()
    assert (batch.name, batch.document_no, batch.version) == ("他人改的名称", "我的文号", 3)


def test_a_batch_is_created_from_the_admin_form(client, admin_user):
    TierFactory()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:tracker_designationbatch_add"),
        {"kind": "new", "tier": "specialized_sme", "year": 2026, "name": "2026年第二批", "document_no": "",
         "publicity_start": "", "publicity_end": "", "objection_contact": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert DesignationBatch.objects.get(name="2026年第二批").version == 1
