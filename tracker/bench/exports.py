"""The Excel export benchmark: one list exported through the export job (the task run in this process,
as the embedded default runs it), timed, with the process's peak memory while it ran. Writes one
ExportJob and its file (under MEDIA_ROOT) in the database it is pointed at."""

from __future__ import annotations

import time

from django.conf import settings

from tracker.bench.memory import current_bytes, peak_bytes, reset_peak
from tracker.bench.reads import bench_user
from tracker.models import ExportJob
from tracker.selectors.counts import capped_count
from tracker.services.exports import export_job_create, list_export
from tracker.services.roles import roles_ensure

MIB = 2**20


def measure(*, list_label: str, kind: str, query: str) -> dict:
    roles_ensure()  # the role groups as this version defines them (a copy made before its migrations)
    user = bench_user()
    asked = ExportJob(requested_by=user, list_label=list_label, kind=kind, query=query)  # not saved
    export = list_export(asked)
    queryset, spec = export.queryset, export.spec
    limit = settings.TIDU["EXPORT_INLINE_MAX_ROWS"]
    started = time.monotonic()
    estimate = capped_count(queryset, cap=limit)  # what the export button reads to decide
    decide_seconds = time.monotonic() - started
    reset_peak()
    before = current_bytes()
    started = time.monotonic()
    job = export_job_create(user=user, list_label=list_label, kind=kind, title=str(spec.title), query=query,
                            rows_estimate=estimate.value)  # autocommit: queued at once (eager: run here)
    seconds = time.monotonic() - started
    peak = peak_bytes()
    job = ExportJob.objects.get(pk=job.pk)
    return {
        "job": job.pk,
        "status": job.status,
        "error": job.error_message,
        "rows": job.rows_total,
        "limit": limit,
        "estimate": estimate.value,
        "estimate_is_estimate": estimate.is_estimate,
        "decide_seconds": round(decide_seconds, 3),
        "seconds": round(seconds, 1),
        "queued_to_started": round((job.started_at - job.created_at).total_seconds(), 2) if job.started_at else None,
        "file_mb": round(job.file_size / 1e6, 1),
        "file": job.file.name,
        "baseline_mib": round(before / MIB, 1),
        "peak_mib": round(peak / MIB, 1),
    }
