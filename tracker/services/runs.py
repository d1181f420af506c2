"""Starting, dispatching and healing recompute runs (the EvaluationRun ledger)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.models import AnnualMetrics, Designation, Enterprise, EvaluationRun, RunChunk
from tracker.pipeline.fetch import fetch_columns


def default_as_of() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def run_start(
    *,
    kind: str,
    as_of: dt.date | None = None,
    tiers: list[str] | None = None,
    enterprise_ids: list[int] | None = None,
    changed_since: dt.datetime | None = None,
    user=None,
    dispatch: bool = True,
) -> EvaluationRun:
    """Create a run and its chunks, and queue the chunks once the transaction commits.

    ``enterprise_ids`` limits the run to those enterprises; ``changed_since`` to the enterprises whose
    facts (enterprise, metrics, designations) were saved since then — an incremental run. A full run
    (neither) of the same kind and date that is still open is returned instead of starting a second
    one: the partial unique constraint settles races between triggers.
    """
    as_of = as_of or default_as_of()
    params = {"tiers": sorted(tiers)} if tiers else {}
    if changed_since is not None:
        enterprise_ids = changed_enterprise_ids(since=changed_since)
        params["changed_since"] = changed_since.isoformat()
    is_full = enterprise_ids is None
    try:
        with transaction.atomic():
            run = EvaluationRun.objects.create(
                kind=kind,
                as_of=as_of,
                fiscal_year=as_of.year - 1,
                is_full=is_full,
                params={**params, **({"enterprise_count": len(enterprise_ids)} if enterprise_ids else {})},
                requested_by=user if getattr(user, "is_authenticated", False) else None,
                status=EvaluationRun.Status.RUNNING,
                started_at=timezone.now(),
            )
    except IntegrityError:
        return EvaluationRun.objects.get(kind=kind, as_of=as_of, is_full=True, status__in=["pending", "running"])
    chunks = _make_chunks(run=run, enterprise_ids=enterprise_ids)
    run.chunks_total = len(chunks)
    if not chunks:
        run.status, run.finished_at = EvaluationRun.Status.SUCCEEDED, timezone.now()
    run.save(update_fields=["chunks_total", "status", "finished_at"])
    if dispatch and chunks:
        chunk_ids = [c.pk for c in chunks]
        transaction.on_commit(lambda: dispatch_chunks(chunk_ids=chunk_ids))
    return run


def changed_enterprise_ids(*, since: dt.datetime) -> list[int]:
    """Enterprises whose own row, metrics or designations were saved at or after ``since``.

    Bulk loads that bypass the services must set ``updated_at`` for their rows to be picked up.
    """
    ids: set[int] = set(Enterprise.objects.filter(updated_at__gte=since).values_list("id", flat=True))
    for model in (AnnualMetrics, Designation):
        ids.update(model.objects.filter(updated_at__gte=since).values_list("enterprise_id", flat=True).distinct())
    return sorted(ids)


def last_full_run_started() -> dt.datetime | None:
    """When the latest successful full run started: what an incremental run catches up from."""
    run = EvaluationRun.objects.filter(is_full=True, status=EvaluationRun.Status.SUCCEEDED).order_by("-started_at")
    return run.values_list("started_at", flat=True).first()


def _make_chunks(*, run: EvaluationRun, enterprise_ids: list[int] | None) -> list[RunChunk]:
    if enterprise_ids is not None:
        ids = sorted(set(enterprise_ids))
        size = settings.TIDU["RECOMPUTE_CHUNK_SIZE"]
        parts = [ids[i : i + size] for i in range(0, len(ids), size)]
        chunks = [RunChunk(run=run, first_id=p[0], last_id=p[-1], enterprise_ids=p) for p in parts]
    else:
        size = settings.TIDU["RECOMPUTE_CHUNK_SIZE"]
        table = Enterprise._meta.db_table
        # Sorted here: the aggregated COPY read does not promise to keep the ORDER BY.
        ids = np.sort(fetch_columns(f"SELECT id FROM {table} ORDER BY id", None, [("id", "int8")])["id"])
        chunks = [
            RunChunk(run=run, first_id=int(ids[i]), last_id=int(ids[min(i + size, len(ids)) - 1]))
            for i in range(0, len(ids), size)
        ]
    return RunChunk.objects.bulk_create(chunks, batch_size=1000)


def dispatch_chunks(*, chunk_ids: list[int]) -> None:
    from tracker.tasks import process_chunk_task

    for chunk_id in chunk_ids:
        process_chunk_task.delay(chunk_id)


def run_sync(*, run: EvaluationRun) -> EvaluationRun:
    """Process every open chunk of ``run`` in this process (the `recompute --sync` path)."""
    from tracker.pipeline.chunk import process_chunk

    for chunk_id in run.chunks.exclude(status=RunChunk.Status.DONE).values_list("pk", flat=True):
        process_chunk(chunk_id=chunk_id)
    run.refresh_from_db()
    return run


def runs_sweep(*, stale_after: dt.timedelta | None = None) -> list[int]:
    """Re-queue chunks of running runs that nobody finished in time (a killed worker, or messages
    lost with a broker restart), and close runs whose chunks are all done. Returns re-queued ids."""
    stale_after = stale_after or dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    cutoff = timezone.now() - stale_after
    open_chunks = RunChunk.objects.filter(run__status=EvaluationRun.Status.RUNNING).exclude(
        status=RunChunk.Status.DONE
    )
    stale = list(
        open_chunks.filter(
            Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, run__started_at__lt=cutoff)
        ).values_list("pk", flat=True)
    )
    if stale:
        # Push the claim forward so the next sweep does not queue the same chunk again at once.
        RunChunk.objects.filter(pk__in=stale).update(claimed_at=timezone.now())
        dispatch_chunks(chunk_ids=stale)
    for run in EvaluationRun.objects.filter(status=EvaluationRun.Status.RUNNING).exclude(
        chunks__status__in=[RunChunk.Status.PENDING, RunChunk.Status.RUNNING, RunChunk.Status.FAILED]
    ):
        EvaluationRun.objects.filter(pk=run.pk, status=EvaluationRun.Status.RUNNING).update(
            status=EvaluationRun.Status.SUCCEEDED, finished_at=timezone.now()
        )
    return stale

