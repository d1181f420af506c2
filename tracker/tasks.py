"""Celery tasks: thin wrappers that take ids and call one service. State lives in the ledger."""

from celery import shared_task
from celery.exceptions import Ignore
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError

# PostgreSQL's unique_violation: another run wrote the same results after this chunk read them.
UNIQUE_VIOLATION = "23505"


@shared_task(bind=True)
def process_chunk_task(self, chunk_id: int) -> None:
    """Process one chunk. The retry policy, by what went wrong:

    - the connection dropped or the server gave up (OperationalError, InterfaceError): transient,
      retried with backoff;
    - a unique violation on the results, or a stored result rewritten or removed (ResultsConflict):
      a concurrent run wrote the same rows after this chunk read them; retried at once, re-reading
      what is stored now;
    - any other IntegrityError: the data or the code is wrong and a retry would fail the same way,
      so the chunk and its run fail at once, naming the constraint;
    - anything else: the chunk fails; the sweeper tries it again later, up to the attempt cap.

    Every retry counts against the chunk's attempt cap (TIDU_CHUNK_MAX_ATTEMPTS). The reason is
    logged once, with its traceback, when the chunk is given up; earlier attempts log one warning
    line each. Celery is told to ignore the message (``Ignore`` without the cause attached), so it
    does not log the failure and its traceback again.
    """
    from tracker.pipeline.chunk import process_chunk
    from tracker.pipeline.results_store import ResultsConflict
    from tracker.services import runs

    with runs.chunk_log_context(chunk_id=chunk_id):
        try:
            process_chunk(chunk_id=chunk_id)
        except (OperationalError, InterfaceError) as exc:
            attempts = runs.chunk_failed(chunk_id=chunk_id, error=exc, retrying=True)
            # The ledger's count is the cap; Celery's own count guards a failure before the claim.
            if attempts is not None and self.request.retries < settings.TIDU["CHUNK_MAX_ATTEMPTS"]:
                raise self.retry(exc=exc, countdown=2**attempts) from exc
            raise Ignore() from None
        except (IntegrityError, ResultsConflict) as exc:
            conflict = isinstance(exc, ResultsConflict) or getattr(exc.__cause__, "sqlstate", None) == UNIQUE_VIOLATION
            attempts = runs.chunk_failed(chunk_id=chunk_id, error=exc, retrying=conflict, permanent=not conflict)
            if attempts is not None and self.request.retries < settings.TIDU["CHUNK_MAX_ATTEMPTS"]:
                raise self.retry(exc=exc, countdown=0) from exc
            raise Ignore() from None
        except Exception as exc:
            runs.chunk_failed(chunk_id=chunk_id, error=exc)
            raise Ignore() from None


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


@shared_task
def reports_nightly_task(run_id: int) -> None:
    """The night's reports (province and cities) after the nightly run closed; then their notices."""
    from tracker.services.reports import reports_build_nightly

    reports_build_nightly(run_id=run_id)


@shared_task
def reports_deadline_task() -> None:
    """At TIDU_REPORT_DEADLINE: tonight's reports from the previous run if the night's run is late."""
    from tracker.services.reports import reports_deadline

    reports_deadline()


@shared_task
def report_notices_task(report_ids: list[int]) -> None:
    from tracker.services.reports import report_notices_send

    report_notices_send(report_ids=report_ids)


@shared_task
def export_job_task(job_id: int) -> None:
    """Write a queued Excel export's file (its progress and then its download are on the job's page).
    A failure is recorded on the job, not raised: there is nothing to retry that the user should not
    decide on (a narrower filter, a permission given back)."""
    from tracker.services.exports import export_job_run

    export_job_run(job_id=job_id)


@shared_task
def exports_clean_task() -> None:
    """Hourly: delete export files past TIDU_EXPORT_KEEP_DAYS; fail jobs a stopped worker left behind."""
    from tracker.services.exports import exports_clean

    exports_clean()


@shared_task
def ruleset_preview_task(preview_id: int) -> None:
    """A draft's preview against the ruleset in force (its progress and result are on the draft's page)."""
    from tracker.services.ruleset_preview_jobs import ruleset_preview_compute

    ruleset_preview_compute(preview_id=preview_id)
