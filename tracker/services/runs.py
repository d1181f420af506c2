"""Starting, dispatching and healing recompute runs (the EvaluationRun ledger; closing a run and giving up
a chunk are the pipeline's own bookkeeping, tracker/pipeline/ledger.py)."""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import AnnualMetrics, Designation, Enterprise, EvaluationRun, RunChunk
from tracker.models.row_rules import plausible_dates
from tracker.observability import metrics
from tracker.observability.logs import log_context
from tracker.pipeline.fetch import fetch_columns
from tracker.pipeline.ledger import NEVER_FINISHED, chunk_give_up, run_completed
from tracker.pipeline.result_indexes import DEFERRED, indexes_defer_if_empty, indexes_restore_unless_deferred

logger = logging.getLogger(__name__)

def default_as_of() -> dt.date:
    return timezone.localdate()


def run_as_of_check(as_of: dt.date | None) -> None:
    """Refuse a run for a date nobody can mean: before ``TIDU["EARLIEST_DATE"]`` or more than
    ``TIDU["RUN_YEARS_AHEAD"]`` years ahead (9999-12-31). The API and ``recompute --as-of`` ask this."""
    if as_of is None:
        return
    earliest, latest = plausible_dates(years_ahead_setting="RUN_YEARS_AHEAD")
    if not earliest <= as_of <= latest:
        raise ValidationError(
            {
                "as_of": _("评价基准日（as_of）应在 %(earliest)s 至 %(latest)s 之间，收到 %(as_of)s。")
                % {"earliest": earliest.isoformat(), "latest": latest.isoformat(), "as_of": as_of.isoformat()}
            }
        )


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
    run_as_of_check(as_of)
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
    elif is_full and not tiers and indexes_defer_if_empty():
        run.params[DEFERRED] = True  # built again as the run closes (tracker/pipeline/result_indexes.py)
    run.save(update_fields=["chunks_total", "status", "finished_at", "params"])
    if not chunks:
        transaction.on_commit(lambda: run_completed(run_id=run.pk))
    if dispatch and chunks:
        chunk_ids = [c.pk for c in chunks]
        transaction.on_commit(lambda: dispatch_chunks(chunk_ids=chunk_ids, full=is_full))
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


def dispatch_chunks(*, chunk_ids: list[int], full: bool) -> None:
    """Queue chunks: a full run's on the bulk queue, a run of listed enterprises' (a save, an
    incremental) on the default one, so that they do not wait behind the thousands of a full run
    (settings: CELERY_TASK_QUEUES)."""
    from tracker.tasks import process_chunk_task

    queue = settings.TIDU["BULK_QUEUE"] if full else settings.CELERY_TASK_DEFAULT_QUEUE
    for chunk_id in chunk_ids:
        process_chunk_task.apply_async(args=[chunk_id], queue=queue)


def run_sync(*, run: EvaluationRun) -> EvaluationRun:
    """Process every open chunk of ``run`` in this process (the `recompute --sync` path)."""
    from tracker.pipeline.chunk import process_chunk

    for chunk_id in run.chunks.exclude(status=RunChunk.Status.DONE).values_list("pk", flat=True):
        with log_context(run_id=run.pk, chunk_id=chunk_id):
            process_chunk(chunk_id=chunk_id)
    run.refresh_from_db()
    return run


def runs_sweep(*, stale_after: dt.timedelta | None = None) -> list[int]:
    """Re-queue chunks of running runs that nobody finished in time (a killed worker, or messages
    lost with a broker restart), and close runs whose chunks are all done. Returns re-queued ids.

    A stale chunk that has already been started TIDU_CHUNK_MAX_ATTEMPTS times is not re-queued: it
    is given up and its run fails with the reason, so a chunk that always kills its worker (out of
    memory, the hard time limit) cannot loop forever."""
    stale_after = stale_after or dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    cutoff = timezone.now() - stale_after
    open_chunks = RunChunk.objects.filter(run__status=EvaluationRun.Status.RUNNING).exclude(
        status=RunChunk.Status.DONE
    )
    stale = list(
        open_chunks.filter(
            Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, run__started_at__lt=cutoff)
        ).values_list("pk", "run_id", "attempts", "error_message", "run__is_full")
    )
    cap = settings.TIDU["CHUNK_MAX_ATTEMPTS"]
    for chunk_id, run_id, _attempts, error, _full in (c for c in stale if c[2] >= cap):
        with log_context(run_id=run_id, chunk_id=chunk_id):
            chunk_give_up(chunk_id=chunk_id, reason=error or NEVER_FINISHED)
        metrics.stale_chunks_swept_total.labels(action="gave_up").inc()
    requeue = {chunk_id: full for chunk_id, _, attempts, _, full in stale if attempts < cap}
    if requeue:
        # Push the claim forward so the next sweep does not queue the same chunk again at once.
        RunChunk.objects.filter(pk__in=requeue).update(claimed_at=timezone.now())
        logger.warning("sweeper: re-queueing %s stale chunks", len(requeue), extra={"chunk_ids": list(requeue)})
        metrics.stale_chunks_swept_total.labels(action="requeued").inc(len(requeue))
        for full in (True, False):
            dispatch_chunks(chunk_ids=[c for c, of_full in requeue.items() if of_full == full], full=full)
    for run in EvaluationRun.objects.filter(status=EvaluationRun.Status.RUNNING).exclude(
        chunks__status__in=[RunChunk.Status.PENDING, RunChunk.Status.RUNNING, RunChunk.Status.FAILED]
    ):
        closed = EvaluationRun.objects.filter(pk=run.pk, status=EvaluationRun.Status.RUNNING).update(
            status=EvaluationRun.Status.SUCCEEDED, finished_at=timezone.now()
        )
        if closed:
            run_completed(run_id=run.pk)
    try:
        indexes_restore_unless_deferred()
    except Exception:  # logged; the sweep itself has done its work, and the next one tries again
        logger.exception("sweeper: building the results' missing indexes failed")
    return list(requeue)


@contextmanager
def chunk_log_context(*, chunk_id: int):
    """Log lines inside the block carry the chunk's id and its run's."""
    run_id = RunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    with log_context(run_id=run_id, chunk_id=chunk_id):
        yield


def chunk_note_failure(*, chunk_id: int, reason: str) -> None:
    """Remember why an attempt died (the hard time limit) on a chunk that is still open."""
    RunChunk.objects.filter(pk=chunk_id).exclude(status=RunChunk.Status.DONE).update(error_message=reason[:2000])


def chunk_failed(
    *, chunk_id: int, error: BaseException, retrying: bool = False, permanent: bool = False
) -> int | None:
    """Record a failed attempt of a chunk. Returns the attempts made when the caller may retry now
    (``retrying`` and the cap not reached); otherwise the chunk stays failed for the sweeper to try
    again later, or — ``permanent``, or at the cap — is given up and its run fails."""
    reason = f"{type(error).__name__}: {error}"[:2000]
    with transaction.atomic():
        chunk = RunChunk.objects.select_for_update().select_related("run").filter(pk=chunk_id).first()
        if chunk is None or chunk.status == RunChunk.Status.DONE:
            return None
        RunChunk.objects.filter(pk=chunk_id).update(status=RunChunk.Status.FAILED, error_message=reason)
        EvaluationRun.objects.filter(pk=chunk.run_id).update(errors=F("errors") + 1)
    if permanent or chunk.attempts >= settings.TIDU["CHUNK_MAX_ATTEMPTS"]:
        chunk_give_up(chunk_id=chunk_id, reason=reason, error=error)
        return None
    metrics.chunks_total.labels(kind=chunk.run.kind, outcome="failed").inc()
    logger.warning(
        "chunk attempt %s failed (%s)%s", chunk.attempts, type(error).__name__, ", retrying" if retrying else "",
        extra={"attempt": chunk.attempts},
    )
    return chunk.attempts if retrying else None
