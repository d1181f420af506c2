"""An Excel import run by a real Celery worker: the dry run and the commit are tasks, the page
follows their progress, and the commit's on-change run is picked up by the worker too."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from tests.factories import AnnualMetricsFactory, EnterpriseFactory, RegionFactory, UserFactory
from tests.imports.conftest import workbook
from tests.tasks import test_pipeline_workers as pipeline
from tracker.models import AnnualMetrics, EvaluationRun, ImportJob
from tracker.services.imports import import_job_confirm, import_job_create

pytestmark = pytest.mark.django_db(transaction=True)
postgres, broker, start_worker = pipeline.postgres, pipeline.broker, pipeline.start_worker  # shared fixtures
HEADERS = ["统一社会信用代码", "企业名称", "年度", "营业收入（万元）", "从业人员（人）"]


@pytest.fixture
def media(tmp_path, settings, monkeypatch):
    # The worker is another process: it must find the uploaded file where the web process kept it.
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))


def wait_for(job: ImportJob, status: str, timeout: float = 60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return job
        time.sleep(0.2)
    raise AssertionError(f"import #{job.pk} is {job.status}, expected {status}")


def test_a_worker_validates_then_commits_an_upload(media, start_worker, client):
    worker = start_worker("imports")
    user = UserFactory(username="importer", is_staff=True, is_superuser=True)
    region = RegionFactory()
    firms = [EnterpriseFactory(region=region) for _ in range(30)]
    for firm in firms:
        AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, main_business_revenue=None,
                             employees=120, rd_staff=30)
    content = workbook(HEADERS, *([f.uscc, f.name, 2025, 5500, 125] for f in firms))
    job = import_job_create(kind="metrics", name="update.xlsx", content=content, user=user)  # autocommit: queued
    job = wait_for(job, "previewed")
    assert (job.new_count, job.rejected_count, job.rows_total) == (30, 0, 30), worker.log()
    client.force_login(user)
    progress = client.get(reverse("admin:tracker_importjob_progress", args=[job.pk])).json()
    assert progress == {"status": "previewed", "status_display": "待确认", "phase": "", "done": 30, "total": 30,
                        "open": False}
    import_job_confirm(job=job, user=user)
    job = wait_for(job, "committed")
    assert job.committed_by == user
    assert AnnualMetrics.objects.filter(fiscal_year=2025).count() == 30
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = EvaluationRun.objects.filter(kind="on_change").first()
        if run is not None and run.status == "succeeded":
            break
        time.sleep(0.2)
    assert run is not None and run.params.get("enterprise_count") == 30, worker.log()
