"""Excel imports: upload, dry run, confirm (commit all or nothing), discard.

The admin, the ``import_xlsx`` command and the Celery tasks all go through these functions. A dry run
classifies every row and stores the preview; a commit plans again inside its transaction, refuses
when rows are rejected or when the plan differs from the one previewed (the data moved meanwhile),
and otherwise writes every row set-based, with history naming the importing user, then pools the
re-evaluation of every touched enterprise into one on-change run.

An import belongs to its uploader's office region (``ImportJob.region``): the staff of that region
see it, and its rows may create or change only enterprises — and their metrics and designations — of
that region (``plan.Writer``); without ``tracker.publish_designation`` only candidates. The command
line without ``--user`` is the system: no region applies.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker import imports
from tracker.imports import sheet_cache
from tracker.imports.plan import Plan, Writer
from tracker.imports.sheet import FileError
from tracker.models import ImportJob
from tracker.models.scoping import EVERYWHERE, office_scope, region_scope
from tracker.services.designations import may_publish
from tracker.services.import_writes import WRITERS

IMPORT_LOCK_SPACE = 0x7469_6475  # "tidu": the advisory-lock namespace of import commits
Status = ImportJob.Status

# What a user must be allowed to do to the target table to import into it.
REQUIRED_PERMISSIONS = {
    ImportJob.Kind.ENTERPRISES: ("tracker.add_enterprise", "tracker.change_enterprise"),
    ImportJob.Kind.METRICS: ("tracker.add_annualmetrics", "tracker.change_annualmetrics"),
    ImportJob.Kind.DESIGNATIONS: ("tracker.add_designation", "tracker.change_designation"),
}


def import_permission_check(*, kind: str, user, job: ImportJob | None = None) -> None:
    """Refuse a user who may not import this kind, has no office region, or may not see ``job``."""
    if user is None:  # the command line runs as the operator
        return
    if not user.has_perm("tracker.add_importjob") or not user.has_perms(REQUIRED_PERMISSIONS[kind]):
        raise PermissionDenied(_("您没有导入%(kind)s的权限。") % {"kind": ImportJob.Kind(kind).label})
    if not region_scope(user).sees_anything:
        raise PermissionDenied(_("您还没有所属地区，不能导入：请联系管理员授予角色和地区。"))
    if job is not None and not ImportJob.objects.visible_to(user).filter(pk=job.pk).exists():
        raise PermissionDenied(_("该导入不存在或不在您的管辖范围内。"))


def import_writer(*, job: ImportJob, user) -> Writer:
    """Whom ``job``'s rows are planned for: its region (the uploader's office), and the publishing right
    of ``user``, the one acting now (None: the system)."""
    scope = EVERYWHERE if job.region_id is None else office_scope(job.region)
    return Writer(scope=scope, may_publish=may_publish(user))


def import_job_create(*, kind: str, name: str, content: bytes, user=None) -> ImportJob:
    """Keep the uploaded file and queue its dry run (after the transaction commits)."""
    from tracker.tasks import import_validate_task

    import_permission_check(kind=kind, user=user)
    job = ImportJob(kind=kind, original_name=Path(name).name[:255], created_by=_user(user), region=import_region(user))
    job.file.save(Path(name).name, ContentFile(content), save=False)
    job.save()
    transaction.on_commit(lambda: import_validate_task.delay(job.pk))
    return job


def import_job_validate(*, job: ImportJob) -> ImportJob:
    """The dry run: classify every row, keep the preview, the counts and the rejected rows. Writes
    nothing but the job itself."""
    started = time.monotonic()
    _progress(job, Status.VALIDATING, _("读取文件"), 0, 0)
    try:
        plan = _plan(job, writer=import_writer(job=job, user=job.created_by))
    except FileError as error:
        return _fail(job, str(error))
    _store_plan(job, plan)
    job.status = Status.PREVIEWED
    job.validated_at = timezone.now()
    job.seconds = {**job.seconds, "validate": round(time.monotonic() - started, 2)}
    job.phase = ""
    job.save()
    return job


def import_job_confirm(*, job: ImportJob, user=None) -> ImportJob:
    """Queue the commit of a previewed job (the page then follows its progress)."""
    from tracker.tasks import import_commit_task

    import_permission_check(kind=job.kind, user=user, job=job)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        _require_committable(job)
        job.status, job.phase, job.committed_by = Status.COMMITTING, _("排队等待导入"), _user(user)
        job.save(update_fields=["status", "phase", "committed_by"])
        transaction.on_commit(lambda: import_commit_task.delay(job.pk))
    return job


def import_job_commit(*, job: ImportJob, user=None) -> ImportJob:
    """Write the whole file in one transaction, or nothing.

    Plans again inside the transaction (so the checks see the data as it is now); when any row is
    rejected, or the plan's digest differs from the preview the user confirmed, nothing is written and
    the job goes back to 待确认 with the new preview.
    """
    import_permission_check(kind=job.kind, user=user, job=job)
    started = time.monotonic()
    try:
        with transaction.atomic():
            # The job row is not locked here: progress is written to it from a second connection. Two
            # deliveries of the same commit are kept apart by a transaction-scoped advisory lock.
            if not _claim(job):
                return job
            current = ImportJob.objects.get(pk=job.pk)
            if current.status not in (Status.PREVIEWED, Status.COMMITTING):
                raise ValidationError(
                    _("该导入的状态为“%(status)s”，不能导入。") % {"status": current.get_status_display()}
                )
            _progress(job, Status.COMMITTING, _("重新校验"), 0, current.rows_total, side=True)
            plan = _plan(job, writer=import_writer(job=current, user=user or current.committed_by), side_progress=True)
            if not plan.committable or plan.digest() != current.plan_digest:
                raise _Replanned(plan)
            _progress(job, Status.COMMITTING, _("写入数据"), plan.sheet.n, plan.sheet.n, side=True)
            reason = _("Excel 导入 #%(id)s") % {"id": job.pk}
            WRITERS[job.kind](plan, user=user or current.committed_by, reason=reason)
            job.status = Status.COMMITTED
            job.committed_at = timezone.now()
            job.committed_by = _user(user) or current.committed_by
            job.phase = ""
            job.seconds = {**current.seconds, "commit": round(time.monotonic() - started, 2)}
            job.save(update_fields=["status", "committed_at", "committed_by", "phase", "seconds", "rows_done"])
        sheet_cache.drop(job)
    except _Replanned as replanned:
        _store_plan(job, replanned.plan)
        job.status, job.phase = Status.PREVIEWED, ""
        job.error_message = _("预览之后数据已有变化或仍有被拒绝的行，未导入任何数据：请核对新的预览后再确认。")
        job.save()
    except FileError as error:
        return _fail(job, str(error))
    return job


def _claim(job: ImportJob) -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s::int, %s::int)", [IMPORT_LOCK_SPACE, job.pk])
        return bool(cursor.fetchone()[0])


def import_job_discard(*, job: ImportJob, user=None) -> ImportJob:
    if user is not None and not ImportJob.objects.visible_to(user).filter(pk=job.pk).exists():
        raise PermissionDenied(_("该导入不存在或不在您的管辖范围内。"))
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != Status.PREVIEWED:
            raise ValidationError(_("只有待确认的导入可以放弃。"))
        job.status = Status.DISCARDED
        job.save(update_fields=["status"])
    sheet_cache.drop(job)
    return job


# ------------------------------------------------------------------------------------------ helpers


class _Replanned(Exception):
    def __init__(self, plan: Plan):
        self.plan = plan


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def import_region(user):
    """The region an import by ``user`` belongs to: their office's (None for the system and superusers)."""
    return None if user is None else region_scope(user).office_region


def _require_committable(job: ImportJob) -> None:
    if job.status != Status.PREVIEWED:
        raise ValidationError(_("该导入的状态为“%(status)s”，不能确认。") % {"status": job.get_status_display()})
    if job.rejected_count or job.preview.get("file_errors"):
        raise ValidationError(_("文件中有被拒绝的行：请下载被拒绝的行，修改后重新上传。"))


def _plan(job: ImportJob, *, writer: Writer, side_progress: bool = False) -> Plan:
    def progress(done: int, total: int) -> None:
        _progress(job, job.status, _("读取文件"), done, total, side=side_progress)

    sheet = sheet_cache.load(job)
    if sheet is None:
        with job.file.open("rb") as fh:
            sheet = imports.read(job.kind, fh, progress=progress)
        sheet_cache.store(job, sheet)  # before planning, which adds derived columns to the sheet
    _progress(job, job.status, _("校验"), sheet.n, sheet.n, side=side_progress)
    return imports.plan(job.kind, sheet, writer=writer)


def _store_plan(job: ImportJob, plan: Plan) -> None:
    counts = plan.counts()
    job.new_count, job.changed_count = counts["new"], counts["changed"]
    job.unchanged_count, job.rejected_count = counts["unchanged"], counts["rejected"]
    job.rows_total = job.rows_done = plan.sheet.n
    job.preview = plan.preview()
    job.plan_digest = plan.digest()
    job.error_message = ""
    if plan.errors:
        content = imports.rejected_workbook(plan)
        job.rejected_file.save(f"rejected-{job.pk}.xlsx", ContentFile(content), save=False)
    elif job.rejected_file:
        job.rejected_file = ""


def import_job_failed(*, job: ImportJob, error: Exception) -> ImportJob:
    """Record an unexpected failure of a dry run or commit (nothing was written)."""
    return _fail(job, _("导入失败，未写入任何数据：%(error)s") % {"error": error})


def _fail(job: ImportJob, message: str) -> ImportJob:
    job.status, job.error_message, job.phase = Status.FAILED, message, ""
    job.preview = {"file_errors": [message]}
    job.save()
    return job


def _progress(job: ImportJob, status: str, phase: str, done: int, total: int, *, side: bool = False) -> None:
    """Record how far the job has got so the page can show it.

    Inside the commit's transaction the update would stay invisible until the end; on PostgreSQL it
    goes through a second connection of its own instead (on SQLite a second writer would wait for the
    first, so progress there is reported between steps only).
    """
    job.status, job.phase, job.rows_done, job.rows_total = status, phase, done, max(total, done)
    fields = {"status": status, "phase": phase, "rows_done": job.rows_done, "rows_total": job.rows_total}
    if not (side and connection.in_atomic_block):
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        return
    if connection.vendor != "postgresql":
        return
    side_connection = connections.create_connection("default")
    try:
        with side_connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tracker_importjob SET status = %s, phase = %s, rows_done = %s, rows_total = %s WHERE id = %s",
                [status, phase, job.rows_done, job.rows_total, job.pk],
            )
    finally:
        side_connection.close()


def rejected_lines(job: ImportJob) -> list[str]:
    """Every rejected row of a dry run as one line (from the kept rejected-rows workbook)."""
    if not job.rejected_file:
        return []
    from openpyxl import load_workbook

    with job.rejected_file.open("rb") as fh:
        workbook = load_workbook(fh, read_only=True)
        rows = workbook.worksheets[0].iter_rows(min_row=2, max_col=2, values_only=True)
        lines = [_("第 %(row)s 行：%(reasons)s") % {"row": row, "reasons": reasons} for row, reasons in rows]
        workbook.close()
    return lines
