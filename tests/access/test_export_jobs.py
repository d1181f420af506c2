"""Excel exports in the background: a list longer than TIDU_EXPORT_INLINE_MAX_ROWS becomes an export job.
Its file is the inline export of the same list, for the same user; the worker re-reads the user's
permission and scope rather than trusting what was stored; only the requester (or a province admin)
sees the job and downloads the file; files expire."""

import datetime as dt
import io

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.access.conftest import admin_client
from tests.factories import UserFactory, region
from tracker.admin import exports
from tracker.models import ExportJob
from tracker.services.exports import export_job_create, exports_clean
from tracker.services.roles import role_grant, role_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def limit(settings, rows: int) -> None:
    settings.TIDU = {**settings.TIDU, "EXPORT_INLINE_MAX_ROWS": rows}


def sheets(content: bytes) -> list[tuple[str, list[list]]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)]) for sheet in workbook.worksheets]


def export_url(model: str, kind: str = "xlsx", query: str = "") -> str:
    return reverse(f"admin:tracker_{model}_export", args=[kind]) + query


def inline_export(world, persona: str, model: str, kind: str = "xlsx", query: str = "") -> list:
    response = admin_client(world, persona).get(export_url(model, kind, query))
    assert response.status_code == 200 and response.streaming
    return sheets(b"".join(response.streaming_content))


def background_export(world, persona: str, model: str, capture, kind: str = "xlsx", query: str = "") -> ExportJob:
    """Press the export button on a list above the limit: a job, run eagerly once the request commits."""
    with capture(execute=True):
        response = admin_client(world, persona).get(export_url(model, kind, query))
    assert response.status_code == 302, response.status_code
    job = ExportJob.objects.latest("pk")
    assert response["Location"] == reverse("admin:tracker_exportjob_status", args=[job.pk])
    return job


def download(world, persona: str, job: ExportJob):
    return admin_client(world, persona).get(reverse("admin:tracker_exportjob_download", args=[job.pk]))


def job_file(world, persona: str, job: ExportJob) -> list:
    response = download(world, persona, job)
    assert response.status_code == 200
    return sheets(b"".join(response.streaming_content))


CASES = [
    ("province_staff", "enterprise", "xlsx", ""),
    ("province_staff", "enterprise", "xlsx", "?region=320100"),
    ("province_staff", "annualmetrics", "xlsx", "?fiscal_year=2025&o=-1"),
    ("region_staff", "designation", "xlsx", ""),
    ("province_staff", "eligibilityresult", "xlsx", "?region=320500"),
    ("province_staff", "eligibilityresult", "gaps", ""),
    ("region_staff", "eligibilityresult", "gaps", "?q=91"),
    ("province_staff", "tierchange", "xlsx", ""),
    ("province_admin", "evaluationrun", "xlsx", ""),
]


@pytest.mark.parametrize(("persona", "model", "kind", "query"), CASES)
def test_the_jobs_file_is_the_inline_export_of_the_same_list(
    world, settings, django_capture_on_commit_callbacks, persona, model, kind, query
):
    limit(settings, 1000)
    inline = inline_export(world, persona, model, kind, query)
    limit(settings, 0)
    job = background_export(world, persona, model, django_capture_on_commit_callbacks, kind, query)
    assert job.status == "done", job.error_message
    assert job_file(world, persona, job) == inline
    assert len(inline[0][1]) > 1, "an export with rows"  # the cases are chosen to have some


def test_a_short_list_is_still_answered_at_once(world, settings):
    limit(settings, 2)
    assert inline_export(world, "province_staff", "enterprise")[0][1][0][0] == "序号"
    assert not ExportJob.objects.exists()


def test_the_job_records_who_asked_for_which_list_with_which_filters(world, settings, django_capture_on_commit_callbacks):
    limit(settings, 0)
    settings.TIDU = {**settings.TIDU, "EXPORT_KEEP_DAYS": 3}
    job = background_export(world, "region_staff", "eligibilityresult", django_capture_on_commit_callbacks,
                            kind="gaps", query="?status=not_eligible&q=91")
    assert (job.requested_by, job.list_label, job.kind, job.title) == (
        world.users["region_staff"], "tracker.eligibilityresult", "gaps", "差距明细"
    )
    assert job.query == "status=not_eligible&q=91"
    assert job.region.code == "320100"  # the office the user asked from
    assert (job.rows_total, job.rows_done) == (1, 1)
    assert job.file.name.startswith("exports/") and job.file_size == job.file.size > 0
    assert job.filename.startswith("差距明细-") and job.filename.endswith(".xlsx")
    assert job.started_at <= job.finished_at and job.expires_at == job.finished_at + dt.timedelta(days=3)


def test_progress_is_stored_after_every_chunk(world, settings, monkeypatch, django_capture_on_commit_callbacks):
    limit(settings, 0)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 1)
    stored = []
    real_write = exports.write_export

    def watched(*args, progress, **kwargs):
        def record(done):
            progress(done)
            stored.append(ExportJob.objects.values_list("status", "rows_done", "rows_total").get())

        return real_write(*args, progress=record, **kwargs)

    monkeypatch.setattr(exports, "write_export", watched)
    background_export(world, "province_staff", "enterprise", django_capture_on_commit_callbacks)
    assert stored == [("running", 1, 2), ("running", 2, 2)]


def test_a_list_longer_than_a_sheet_continues_on_the_next(world, settings, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    limit(settings, 0)
    monkeypatch.setattr(exports, "SHEET_ROWS", 1)
    job = background_export(world, "province_staff", "enterprise", django_capture_on_commit_callbacks)
    (first, rows1), (second, rows2) = job_file(world, "province_staff", job)
    assert (first, second) == ("企业名录", "企业名录（2）")
    assert rows1[0] == rows2[0] and rows1[0][:3] == ["序号", "企业名称", "统一社会信用代码"]
    assert [rows1[1][0], rows2[1][0]] == [1, 2] and len(rows1) == len(rows2) == 2


#
# Scope: the worker rebuilds the list for the user as they are when it writes
#


def queued(world, persona: str, model: str, capture, query: str = "") -> tuple[ExportJob, list]:
    """A job queued, its task not yet run (the callbacks are returned, to run later)."""
    with capture() as callbacks:
        response = admin_client(world, persona).get(export_url(model, query=query))
    assert response.status_code == 302
    return ExportJob.objects.latest("pk"), callbacks


def run(callbacks) -> None:
    for callback in callbacks:
        callback()


def names(rows: list) -> set:
    return {row[1] for row in rows[1:]}


def test_the_worker_applies_the_users_scope_as_it_is_when_writing(world, settings, django_capture_on_commit_callbacks):
    limit(settings, 0)
    user = world.users["region_staff"]
    job, callbacks = queued(world, "region_staff", "enterprise", django_capture_on_commit_callbacks)
    role_grant(user=user, role="region_staff", region=region("320500"), unit="苏州")  # moved to another city
    run(callbacks)
    job.refresh_from_db()
    assert job.status == "done"
    [(_title, rows)] = job_file(world, "region_staff", job)
    assert names(rows) == {world.other.enterprise.name}


def test_a_stored_query_naming_another_city_yields_none_of_its_rows(world, settings, django_capture_on_commit_callbacks):
    limit(settings, 0)
    job, callbacks = queued(world, "region_staff", "enterprise", django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=job.pk).update(query="region=320500")
    run(callbacks)
    job.refresh_from_db()
    [(_title, rows)] = job_file(world, "region_staff", job)
    assert world.other.enterprise.name not in names(rows)


def test_a_user_who_lost_the_list_gets_no_file(world, settings, django_capture_on_commit_callbacks):
    limit(settings, 0)
    job, callbacks = queued(world, "read_only", "enterprise", django_capture_on_commit_callbacks)
    role_revoke(user=world.users["read_only"])
    run(callbacks)
    job.refresh_from_db()
    assert (job.status, bool(job.file)) == ("failed", False)
    assert "无权查看该列表" in job.error_message


def test_a_lookup_the_list_does_not_offer_fails_the_job(world, settings, django_capture_on_commit_callbacks):
    limit(settings, 0)
    job, callbacks = queued(world, "region_staff", "enterprise", django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=job.pk).update(query="region__code__startswith=3205")
    run(callbacks)
    job.refresh_from_db()
    assert (job.status, bool(job.file)) == ("failed", False)


def test_a_job_past_its_time_limit_says_so(world, settings, monkeypatch, django_capture_on_commit_callbacks):
    limit(settings, 0)

    def too_long(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(exports, "write_export", too_long)
    job = background_export(world, "province_staff", "enterprise", django_capture_on_commit_callbacks)
    assert job.status == "failed" and "超过时限" in job.error_message and not job.file


def test_a_second_delivery_of_the_same_job_does_nothing(world, settings, django_capture_on_commit_callbacks):
    from tracker.services.exports import export_job_run

    limit(settings, 0)
    job = background_export(world, "province_staff", "enterprise", django_capture_on_commit_callbacks)
    again = export_job_run(job_id=job.pk)
    assert (again.status, again.file.name, again.finished_at) == ("done", job.file.name, job.finished_at)


#
# Who sees a job and its file
#


@pytest.fixture
def other_city_user(world):
    user = UserFactory(username="suzhou_staff")
    role_grant(user=user, role="region_staff", region=region("320500"), unit="苏州")
    world.users["suzhou_staff"] = user
    yield user
    del world.users["suzhou_staff"]


def test_only_the_requester_or_a_province_admin_sees_the_job_and_downloads_its_file(
    world, settings, other_city_user, django_capture_on_commit_callbacks
):
    limit(settings, 0)
    job = background_export(world, "region_staff", "enterprise", django_capture_on_commit_callbacks)
    pages = ["status", "download", "change"]
    allowed = {"region_staff": (200, 200, 302), "province_admin": (200, 200, 302)}
    for persona in ["region_staff", "province_admin", "suzhou_staff", "read_only", "province_staff"]:
        client = admin_client(world, persona)
        got = tuple(client.get(reverse(f"admin:tracker_exportjob_{page}", args=[job.pk])).status_code for page in pages)
        # Another city's user, a colleague of the same office, the province's staff: "not found".
        assert got == allowed.get(persona, (404, 404, 404)), persona
    anonymous = admin_client(world, "anonymous").get(reverse("admin:tracker_exportjob_download", args=[job.pk]))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_the_list_of_exports_shows_ones_own(world, settings, other_city_user, django_capture_on_commit_callbacks):
    limit(settings, 0)
    mine = background_export(world, "region_staff", "enterprise", django_capture_on_commit_callbacks)
    theirs = background_export(world, "suzhou_staff", "enterprise", django_capture_on_commit_callbacks)
    changelist = reverse("admin:tracker_exportjob_changelist")
    for persona, expected in [("region_staff", {mine.pk}), ("suzhou_staff", {theirs.pk}),
                              ("province_staff", set()), ("province_admin", {mine.pk, theirs.pk})]:
        shown = {job.pk for job in admin_client(world, persona).get(changelist).context["cl"].result_list}
        assert shown == expected, persona


def test_the_page_refreshes_itself_while_the_job_is_open_and_then_offers_the_file(
    world, settings, django_capture_on_commit_callbacks
):
    limit(settings, 0)
    job, callbacks = queued(world, "region_staff", "enterprise", django_capture_on_commit_callbacks, "?q=91")
    page = reverse("admin:tracker_exportjob_status", args=[job.pk])
    client = admin_client(world, "region_staff")
    waiting = client.get(page).content.decode()
    assert '<meta http-equiv="refresh"' in waiting and "排队等待处理" in waiting
    assert "<script>" not in waiting  # no inline script (the CSP refuses it), no script from elsewhere
    assert "q=91" in waiting  # the filters it was asked with
    run(callbacks)
    done = client.get(page).content.decode()
    assert '<meta http-equiv="refresh"' not in done
    assert reverse("admin:tracker_exportjob_download", args=[job.pk]) in done


#
# Clean-up
#


def test_files_past_their_date_are_deleted_and_abandoned_jobs_fail(world, settings, django_capture_on_commit_callbacks):
    limit(settings, 0)
    old = background_export(world, "region_staff", "enterprise", django_capture_on_commit_callbacks)
    fresh = background_export(world, "region_staff", "enterprise", django_capture_on_commit_callbacks)
    storage, path = old.file.storage, old.file.name
    now = timezone.now()
    ExportJob.objects.filter(pk=old.pk).update(expires_at=now - dt.timedelta(minutes=1))
    user = world.users["region_staff"]
    stuck = ExportJob.objects.create(requested_by=user, list_label="tracker.enterprise", kind="xlsx", title="企业名录",
                                     status="running", started_at=now - dt.timedelta(days=1))
    working = ExportJob.objects.create(requested_by=user, list_label="tracker.enterprise", kind="xlsx",
                                       title="企业名录", status="running", started_at=now)

    assert exports_clean(now=now) == {"expired": 1, "abandoned": 1, "lost": 0}

    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "expired", fresh.pk: "done", stuck.pk: "failed", working.pk: "running"}
    assert not storage.exists(path) and fresh.file.storage.exists(fresh.file.name)
    assert download(world, "region_staff", old).status_code == 404
    assert download(world, "region_staff", fresh).status_code == 200
    assert exports_clean(now=now) == {"expired": 0, "abandoned": 0, "lost": 0}


def test_a_job_is_created_with_the_office_region_of_its_user(world):
    job = export_job_create(user=world.users["province_staff"], list_label="tracker.enterprise", kind="xlsx",
                            title="企业名录", query="")
    assert job.region.code == "320000" and job.status == "pending"
    assert ExportJob.objects.visible_to(world.users["province_staff"]).get() == job
    assert not ExportJob.objects.visible_to(world.users["region_staff"]).exists()
