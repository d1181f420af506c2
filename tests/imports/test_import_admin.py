"""The import pages: upload, preview (rejected cells, before → after), confirm, history downloads."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import AnnualMetricsFactory, EnterpriseFactory
from tests.imports.conftest import workbook
from tracker.models import AnnualMetrics, ImportJob

HEADERS = ["统一社会信用代码", "企业名称", "年度", "营业收入（万元）", "从业人员（人）"]


@pytest.fixture
def firm(db, suzhou):
    return EnterpriseFactory(region=suzhou, name="苏州甲科技有限公司")


def upload(client, content, capture, kind="metrics"):
    """Upload, let the dry-run task run (eagerly, after the commit), then open the job's page."""
    with capture(execute=True):
        response = client.post(reverse("admin:tracker_importjob_upload"), {"kind": kind, "file": _named(content)})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"])


def _named(content):
    buffer = io.BytesIO(content)
    buffer.name = "年度更新.xlsx"
    return buffer


def test_it_previews_then_commits_on_confirmation(client, admin_user, firm, django_capture_on_commit_callbacks):
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, employees=120, rd_staff=30)
    client.force_login(admin_user)
    page = upload(client, workbook(HEADERS, [firm.uscc, firm.name, 2024, 5300, 120]), django_capture_on_commit_callbacks)
    text = page.content.decode()
    assert "待确认" in text and "5,000.00" in text and "5,300.00" in text
    assert AnnualMetrics.objects.get().revenue == 50_000_000
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:tracker_importjob_confirm", args=[job.pk]))
    assert AnnualMetrics.objects.get().revenue == 53_000_000
    job.refresh_from_db()
    assert job.status == "committed" and job.committed_by == admin_user


def test_a_bad_row_shows_its_reason_and_cannot_be_confirmed(client, admin_user, firm, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    page = upload(client, workbook(HEADERS, [firm.uscc, firm.name, 2024, "五千", 120]), django_capture_on_commit_callbacks)
    text = page.content.decode()
    assert "“五千”不是数字。" in text and "confirm-import" not in text
    job = ImportJob.objects.get()
    rejected = client.get(reverse("admin:tracker_importjob_rejected", args=[job.pk]))
    book = load_workbook(io.BytesIO(b"".join(rejected.streaming_content)))
    assert "不是数字" in book.worksheets[0]["B2"].value
    assert client.post(reverse("admin:tracker_importjob_confirm", args=[job.pk]), follow=True).status_code == 200
    assert ImportJob.objects.get().status == "previewed"


def test_templates_download_and_history_lists_jobs(client, admin_user, firm, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    for kind in ImportJob.Kind.values:
        response = client.get(reverse("admin:tracker_importjob_template", args=[kind]))
        assert response.status_code == 200 and load_workbook(io.BytesIO(response.content)).worksheets[1].title == "填写说明"
    upload(client, workbook(HEADERS, [firm.uscc, firm.name, 2024, 5300, 120]), django_capture_on_commit_callbacks)
    history = client.get(reverse("admin:tracker_importjob_changelist")).content.decode()
    assert "年度更新.xlsx" in history and "原文件" in history
    progress = client.get(reverse("admin:tracker_importjob_progress", args=[ImportJob.objects.get().pk])).json()
    assert progress["status"] == "previewed" and progress["open"] is False


def test_staff_without_import_permission_cannot_upload(client, db, firm):
    from tests.factories import UserFactory

    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("admin:tracker_importjob_upload")).status_code == 403


def test_a_commit_that_crashes_leaves_nothing_and_says_so(client, admin_user, firm, django_capture_on_commit_callbacks, monkeypatch):
    from tracker.services import import_writes

    client.force_login(admin_user)
    upload(client, workbook(HEADERS, [firm.uscc, firm.name, 2024, 5300, 120]), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()

    def broken(plan, *, user, reason):
        AnnualMetrics.objects.create(enterprise=firm, fiscal_year=2024)
        raise RuntimeError("磁盘已满")

    monkeypatch.setitem(import_writes.WRITERS, "metrics", broken)
    monkeypatch.setattr("tracker.services.imports.WRITERS", import_writes.WRITERS)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:tracker_importjob_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "failed" and "磁盘已满" in job.error_message
    assert not AnnualMetrics.objects.exists()


def test_a_running_import_polls_its_progress_from_a_file_the_policy_allows(client, admin_user, firm):
    """The Content-Security-Policy refuses inline scripts: the progress poller must be a static file."""
    client.force_login(admin_user)
    job = ImportJob.objects.create(kind="metrics", original_name="年度更新.xlsx", status=ImportJob.Status.VALIDATING,
                                   created_by=admin_user, file="imports/x.xlsx")
    page = client.get(reverse("admin:tracker_importjob_change", args=[job.pk]), follow=True).content.decode()
    assert "<script>" not in page
    assert 'src="/static/tracker/import-progress.js"' in page
    assert f'data-progress-url="{reverse("admin:tracker_importjob_progress", args=[job.pk])}"' in page
