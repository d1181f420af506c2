"""The run ledger's bookkeeping that the pipeline itself does: giving up a chunk that cannot finish
(and failing its run), and what follows a run's close (metrics, one log line, table statistics).

The services (``runs_sweep``, ``chunk_failed``) call these too; they live here so that the pipeline,
which closes runs as its chunks finish, imports nothing from the services (docs/architecture.md).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from tracker.models import EvaluationRun, RunChunk
from tracker.observability import metrics
from tracker.pipeline.result_indexes import DEFERRED, indexes_build_missing
from tracker.pipeline.table_stats import analyze_after_write

logger = logging.getLogger(__name__)

# Why a chunk that was started again and again never finished, when no attempt said why: the
# process died without a word (the kernel's OOM killer, a SIGKILL) or Celery's hard time limit.
NEVER_FINISHED = "工作进程在处理中途退出（可能内存不足被系统终止，或超过硬时限）"


# Sent once a run has closed (succeeded or failed), after its own bookkeeping, with ``run``. What
# follows a run in other layers listens here (the nightly reports: tracker/services/reports.py,
# connected in tracker/apps.py), so the pipeline imports nothing from them.
run_closed = Signal()


def chunk_attempts_exhausted(chunk: RunChunk) -> bool:
    """True when ``chunk`` may not be started again; it has then been given up (its run failed).

    Checked as a chunk is claimed: a message redelivered after its worker was killed (Celery
    requeues it at once) reaches this point, not the sweeper."""
    if chunk.attempts < settings.TIDU["CHUNK_MAX_ATTEMPTS"]:
        return False
    chunk_give_up(chunk_id=chunk.pk, reason=chunk.error_message or NEVER_FINISHED)
    return True


def chunk_give_up(*, chunk_id: int, reason: str, error: BaseException | None = None) -> None:
    """Fail a chunk for good and its run with it, saying why; logged once, here."""
    with transaction.atomic():
        chunk = RunChunk.objects.select_for_update().select_related("run").filter(pk=chunk_id).first()
        if chunk is None or chunk.status == RunChunk.Status.DONE:
            return
        RunChunk.objects.filter(pk=chunk_id).update(status=RunChunk.Status.FAILED, error_message=reason[:2000])
        message = f"分片 {chunk.first_id}–{chunk.last_id}（#{chunk.pk}）尝试 {chunk.attempts} 次未能完成：{reason}"
        failed = EvaluationRun.objects.filter(pk=chunk.run_id, status=EvaluationRun.Status.RUNNING).update(
            status=EvaluationRun.Status.FAILED, finished_at=timezone.now(), error_message=message[:2000]
        )
        if failed:
            transaction.on_commit(lambda: run_completed(run_id=chunk.run_id))
    metrics.chunks_total.labels(kind=chunk.run.kind, outcome="gave_up").inc()
    logger.error(
        "chunk given up after %s attempts: %s", chunk.attempts, reason,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
        extra={"attempts": chunk.attempts, "run_id": chunk.run_id, "chunk_id": chunk.pk},
    )


def run_completed(*, run_id: int) -> None:
    """After a run closed (succeeded or failed): its metrics, one log line, the results' secondary
    indexes built when the run left them out, and table statistics refreshed when it rewrote a large
    share of the results."""
    run = EvaluationRun.objects.filter(pk=run_id).first()
    if run is None:
        return
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else 0.0
    metrics.run_seconds.labels(kind=run.kind, status=run.status).observe(seconds)
    # A failed run's reason was logged once, as an error, by the chunk that failed it.
    log = logger.info if run.status == EvaluationRun.Status.SUCCEEDED else logger.warning
    log(
        "run %s %s in %.1f s: %s chunks, %s results checked, %s written",
        run.pk, run.status, seconds, run.chunks_total, run.evaluated, run.changed,
        extra={"run_id": run.pk, "kind": run.kind, "status": run.status, "seconds": round(seconds, 3),
               "chunks": run.chunks_total, "evaluated": run.evaluated, "written": run.changed},
    )
    if run.params.get(DEFERRED):
        try:
            indexes_build_missing()
        except Exception:  # the sweeper builds them on its next pass
            logger.exception("run %s: building the results' indexes failed", run.pk, extra={"run_id": run.pk})
    if run.status == EvaluationRun.Status.SUCCEEDED and run.changed:
        try:
            analyze_after_write(rows_written=run.changed)
        except Exception:  # statistics are an optimisation: the run itself has succeeded
            logger.exception("run %s: ANALYZE after the run failed", run.pk, extra={"run_id": run.pk})
    for receiver, outcome in run_closed.send_robust(sender=EvaluationRun, run=run):
        if isinstance(outcome, Exception):  # a listener's failure is its own; the run has closed
            logger.error("run %s: %s failed after the run closed", run.pk, getattr(receiver, "__name__", receiver),
                         exc_info=(type(outcome), outcome, outcome.__traceback__), extra={"run_id": run.pk})
