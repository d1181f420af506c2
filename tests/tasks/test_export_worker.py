"""An Excel export job written by a real Celery worker: the button queues it on the broker, another
process rebuilds the list for the user and writes the file into the shared MEDIA_ROOT, the page
follows it, and the requester downloads what the inline export of the same list would have given."""

from __future__ import annotations

import io
import time

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import EnterpriseFactory, RegionFactory, UserFactory
from tests.tasks import test_pipeline_workers as pipeline
from tracker.models import ExportJob

pytestmark = pytest.mark.django_db(transaction=True)
postgres, broker, start_worker = pipeline.postgres, pipeline.broker, pipeline.start_worker  # shared fixtures


@pytest.fixture
def media(tmp_path, settings, monkeypatch):
    # The worker is another process: it writes the file where the web process will serve it from.
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))


def wait_until_closed(job: ExportJob, timeout: float = 60) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_open:
            return job
        time.sleep(0.2)
    raise AssertionError(f"export #{job.pk} is still {job.status}")


def rows_of(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_a_worker_writes_the_export_the_requester_downloads(media, settings, start_worker, client):
    worker = start_worker("exports")
    user = UserFactory(username="exporter", is_staff=True, is_superuser=True)
    suzhou = RegionFactory(code="320500", name="苏州市", level="prefecture")
    for _ in range(30):
        EnterpriseFactory(region=suzhou)
    client.force_login(user)
    url = reverse("admin:tracker_enterprise_export", args=["xlsx"]) + "?region=320500"

    settings.TIDU = {**settings.TIDU, "EXPORT_INLINE_MAX_ROWS": 1000}
    inline = rows_of(b"".join(client.get(url).streaming_content))
    settings.TIDU = {**settings.TIDU, "EXPORT_INLINE_MAX_ROWS": 10}
    response = client.get(url)  # 30 rows > 10: queued on the broker (autocommit: at once)
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("admin:tracker_exportjob_status", args=[job.pk])

    job = wait_until_closed(job)
    assert job.status == "done", (job.error_message, worker.log())
    assert (job.rows_total, job.rows_done, job.query) == (30, 30, "region=320500")
    page = client.get(reverse("admin:tracker_exportjob_status", args=[job.pk])).content.decode()
    assert reverse("admin:tracker_exportjob_download", args=[job.pk]) in page
    download = client.get(reverse("admin:tracker_exportjob_download", args=[job.pk]))
    assert rows_of(b"".join(download.streaming_content)) == inline and len(inline) == 31
