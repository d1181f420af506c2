"""Excel export jobs: a list too long to answer in the request is written by a worker.

The admin's export button queues a job (``export_job_create``) when the list has more rows than
TIDU_EXPORT_INLINE_MAX_ROWS. The worker (``export_job_run``) rebuilds the list for the user who
asked — their permission and office scope read again, the changelist's filters and search from the
stored query string (``list_export`` of the list's admin, tracker/admin/exports.py) — and streams it
into an xlsx file:
values read through a server-side cursor in chunks, openpyxl's write-only workbook on a temporary
file, then kept in the default storage (MEDIA_ROOT). Only the requester, or a province admin, may
download it (``ExportJob.objects.visible_to``); ``exports_clean`` deletes files past
TIDU_EXPORT_KEEP_DAYS and fails jobs a dead worker left behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable
from typing import Protocol

from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import ExportJob
from tracker.models.scoping import region_scope

logger = logging.getLogger(__name__)
Status = ExportJob.Status


class ListExport(Protocol):
    """One list's export for one user, as the list's admin gives it (tracker.admin.exports.ListExport)."""

    def count(self) -> int: ...

    def filename(self) -> str: ...

    def write(self, target, progress: Callable[[int], None] | None = None) -> None: ...


def list_export(job: ExportJob) -> ListExport:
    """The list a job exports, for its requester. A list is an admin changelist — its filters and search
    are the admin's — so it is asked of Django's admin site, which every process (a worker too) fills at
    start-up, rather than imported from the admin package, which sits above the services."""
    model = apps.get_model(job.list_label)
    return admin.site.get_model_admin(model).list_export(user=job.requested_by, kind=job.kind, query=job.query)


def time_limits() -> tuple[int, int]:
    """(soft, hard) seconds of one export job: the hard limit follows the soft one by the margin the
    project's other tasks have."""
    soft = settings.TIDU["EXPORT_TIME_LIMIT"]
    return soft, soft + settings.CELERY_TASK_TIME_LIMIT - settings.CELERY_TASK_SOFT_TIME_LIMIT


def export_job_create(*, user, list_label: str, kind: str, title: str, query: str, rows_estimate: int = 0) -> ExportJob:
    """Record what ``user`` asked to export and queue the job (after the transaction commits)."""
    from tracker.tasks import export_job_task

    job = ExportJob.objects.create(
        requested_by=user,
        list_label=list_label,
        kind=kind,
        title=title[:64],
        query=query,
        region=region_scope(user).office_region,
        rows_total=rows_estimate,
    )
    soft, hard = time_limits()
    transaction.on_commit(
        lambda: export_job_task.apply_async(args=[job.pk], soft_time_limit=soft, time_limit=hard)
    )
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the file of a queued export. A job is claimed once (a conditional UPDATE): a second
    delivery of the same message finds it taken and does nothing."""
    claimed = ExportJob.objects.filter(pk=job_id, status=Status.PENDING).update(
        status=Status.RUNNING, started_at=timezone.now(), rows_done=0
    )
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        export = list_export(job)
        job.rows_total = export.count()  # exact, for the progress bar; the request only estimated
        ExportJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total)

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

        with tempfile.TemporaryFile(suffix=".xlsx") as target:
            export.write(target, progress)
            target.seek(0)
            job.file.save(f"export-{job.pk}.xlsx", File(target), save=False)
    except Exception as error:  # recorded on the job's page; the worker's log has the traceback
        logger.exception("export job %s failed", job.pk)
        return export_job_failed(job=job, error=error)
    finished = timezone.now()
    job.status, job.finished_at = Status.DONE, finished
    job.expires_at = finished + dt.timedelta(days=settings.TIDU["EXPORT_KEEP_DAYS"])
    job.filename = export.filename()
    job.file_size, job.rows_done = job.file.size, job.rows_total
    job.save(update_fields=[
        "status", "finished_at", "expires_at", "file", "filename", "file_size", "rows_done", "rows_total"
    ])
    return job


def export_job_failed(*, job: ExportJob, error: BaseException) -> ExportJob:
    """Record why no file came out (and drop a file half saved)."""
    if isinstance(error, SoftTimeLimitExceeded):
        message = _("导出超过时限（%(seconds)s 秒），未生成文件：请缩小筛选范围后重新导出。") % {
            "seconds": settings.TIDU["EXPORT_TIME_LIMIT"]
        }
    else:
        message = _("导出失败，未生成文件：%(error)s") % {"error": error}
    if job.file:
        job.file.delete(save=False)
    job.status, job.error_message, job.finished_at = Status.FAILED, message, timezone.now()
    job.save(update_fields=["status", "error_message", "finished_at", "file"])
    return job


def exports_clean(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the files of finished exports past their date (the job stays, marked 已过期), and fail
    the jobs no worker can still be writing: running past the hard time limit (the worker was killed
    or restarted), or queued for longer than a file is kept (the message was lost)."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=Status.DONE, expires_at__lte=now).only("pk", "file"):
        if job.file:
            job.file.delete(save=False)
        expired += ExportJob.objects.filter(pk=job.pk, status=Status.DONE).update(status=Status.EXPIRED, file="")
    _soft, hard = time_limits()
    abandoned = ExportJob.objects.filter(status=Status.RUNNING, started_at__lt=now - dt.timedelta(seconds=hard)).update(
        status=Status.FAILED,
        finished_at=now,
        error_message=_("导出中断（处理进程已停止，例如服务重启），未生成文件：请重新导出。"),
    )
    lost = ExportJob.objects.filter(
        status=Status.PENDING, created_at__lt=now - dt.timedelta(days=settings.TIDU["EXPORT_KEEP_DAYS"])
    ).update(status=Status.FAILED, finished_at=now, error_message=_("导出一直未被处理，未生成文件：请重新导出。"))
    return {"expired": expired, "abandoned": abandoned, "lost": lost}
