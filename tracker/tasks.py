"""Celery tasks: thin wrappers that take ids and call one service. State lives in the ledger."""

from celery import shared_task
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError

MAX_CHUNK_ATTEMPTS = 3


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError, IntegrityError),
    retry_backoff=2,
    max_retries=MAX_CHUNK_ATTEMPTS,
)
def process_chunk_task(self, chunk_id: int) -> None:
    from tracker.pipeline.chunk import process_chunk, record_chunk_failure

    try:
        process_chunk(chunk_id=chunk_id)
    except (OperationalError, InterfaceError, IntegrityError):
        raise  # transient: retried with backoff; a redelivered chunk is recomputed, not duplicated
    except DatabaseError as exc:
        record_chunk_failure(chunk_id=chunk_id, error=repr(exc), max_attempts=MAX_CHUNK_ATTEMPTS)
        raise
    except Exception as exc:
        record_chunk_failure(chunk_id=chunk_id, error=repr(exc), max_attempts=MAX_CHUNK_ATTEMPTS)
        raise


@shared_task
def nightly_recompute_task() -> None:
    """Designation upkeep first (so tonight's results see expiries), then a full nightly run."""
    from tracker.models import EvaluationRun
    from tracker.services.designation_upkeep import designations_upkeep
    from tracker.services.runs import run_start

    designations_upkeep()
    run_start(kind=EvaluationRun.Kind.NIGHTLY)


@shared_task
def sweep_runs_task() -> None:
    from tracker.services.runs import runs_sweep

    runs_sweep()


@shared_task
def import_validate_task(job_id: int) -> None:
    """The dry run of an uploaded Excel import (its progress is on the job's page)."""
    from tracker.models import ImportJob
    from tracker.services.imports import import_job_failed, import_job_validate

    job = ImportJob.objects.get(pk=job_id)
    try:
        import_job_validate(job=job)
    except Exception as exc:
        import_job_failed(job=job, error=exc)
        raise


@shared_task
def import_commit_task(job_id: int) -> None:
    """The confirmed commit of an Excel import: all rows in one transaction, or none."""
    from tracker.models import ImportJob
    from tracker.services.imports import import_job_commit, import_job_failed

    job = ImportJob.objects.get(pk=job_id)
    try:
        import_job_commit(job=job, user=job.committed_by)
    except Exception as exc:
        # The transaction rolled back: nothing was written. Say so on the job's page, not only in a log.
        import_job_failed(job=job, error=exc)
        raise
