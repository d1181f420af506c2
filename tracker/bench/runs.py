"""Recompute runs as the bench measures them: run_start(dispatch=False) + run_sync, in this process."""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection

from tracker.models import AnnualMetrics, EligibilityResult, EvaluationRun, InputDigest, TierChange
from tracker.pipeline import chunk as chunk_module
from tracker.pipeline.results_store import results_forget
from tracker.services.runs import run_start, run_sync

from . import memory


def close_open_runs() -> int:
    """Fail runs left open (an interrupted bench), else run_start would hand back the open run."""
    return EvaluationRun.objects.filter(status__in=["pending", "running"]).update(
        status=EvaluationRun.Status.FAILED, error_message="closed by bench"
    )


def delete_results(*, fiscal_year: int) -> int:
    """Delete every stored result (and the bench's TierChange noise) so the next run is cold."""
    close_open_runs()
    TierChange.objects.all().delete()
    deleted = results_forget()
    with connection.cursor() as cursor:
        for model in (EligibilityResult, InputDigest):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return deleted


def recompute(*, as_of: dt.date, label: str, changed_since=None) -> dict:
    """One manual run in this process (full, or incremental with ``changed_since``); returns wall
    time, counts, the run's timings and peak RSS."""
    if changed_since is None:
        chunk_module._cluster_ranks.invalidate()  # a full run reads the cluster revenues afresh
    # An incremental run finds the worker's snapshot from the run before and patches it, as a
    # long-lived Celery worker does (tracker/pipeline/cluster_ranks.py).
    reset = memory.reset_peak()
    started = time.perf_counter()
    run = run_start(kind=EvaluationRun.Kind.MANUAL, as_of=as_of, changed_since=changed_since, dispatch=False)
    run = run_sync(run=run)
    seconds = time.perf_counter() - started
    return {
        "label": label,
        "run_id": run.pk,
        "status": run.status,
        "seconds": seconds,
        "chunks": run.chunks_total,
        "evaluated": run.evaluated,
        "changed": run.changed,
        "inputs_changed": run.inputs_changed,
        "timings": run.timings,
        "peak_rss_bytes": memory.peak_bytes(),
        "peak_rss_reset": reset,
    }


def touch_one_percent(*, fiscal_year: int) -> int:
    """Change 1 % of enterprises: their assessment-year revenue × 1.01 (set-based, stamping
    updated_at as an importer does, so an incremental run finds them)."""
    table = AnnualMetrics._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET revenue = revenue * 1.01, updated_at = now() WHERE fiscal_year = %s "
            f"AND enterprise_id %% 100 = 0 AND revenue IS NOT NULL",
            [fiscal_year],
        )
        rows = cursor.rowcount
        cursor.execute(f"ANALYZE {table}")
    return rows


def results_of_touched(*, fiscal_year: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {EligibilityResult._meta.db_table} WHERE fiscal_year = %s "
            f"AND enterprise_id %% 100 = 0",
            [fiscal_year],
        )
        return cursor.fetchone()[0]
