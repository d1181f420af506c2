"""A full run into an empty results table leaves the secondary indexes out and builds them as it
closes (tracker/pipeline/result_indexes.py); nothing leaves them out for good."""

import datetime as dt
import io

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tracker.models import EligibilityResult, EvaluationRun, RunChunk
from tracker.pipeline.ledger import chunk_give_up
from tracker.pipeline.result_indexes import DEFERRED, indexes_defer_if_empty, missing_indexes
from tracker.pipeline.results_store import results_forget
from tracker.services.runs import run_start, run_sync, runs_sweep

pytestmark = pytest.mark.django_db(transaction=True)
AS_OF = dt.date(2026, 6, 30)
NAMES = sorted(index.name for index in EligibilityResult._meta.indexes)


@pytest.fixture
def population():
    if connection.vendor != "postgresql":
        pytest.fail("the results' indexes are PostgreSQL's: run the suite on PostgreSQL (make test)")
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=60, seed=3, stdout=io.StringIO())


def definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [EligibilityResult._meta.db_table]
        )
        return dict(cursor.fetchall())


def missing() -> list[str]:
    return sorted(index.name for index in missing_indexes())


def test_a_full_run_into_an_empty_table_builds_the_indexes_as_it_closes(population):
    declared = definitions()
    run = run_start(kind=EvaluationRun.Kind.MANUAL, as_of=AS_OF, dispatch=False)
    assert run.params[DEFERRED] is True
    assert missing() == NAMES
    assert runs_sweep() == [] and missing() == NAMES  # the sweeper leaves them to the open run
    run = run_sync(run=run)
    assert run.status == EvaluationRun.Status.SUCCEEDED and EligibilityResult.objects.exists()
    assert definitions() == declared  # the same indexes, as the model declares them


def test_a_run_over_stored_results_keeps_the_indexes(population):
    run_sync(run=run_start(kind=EvaluationRun.Kind.MANUAL, as_of=AS_OF, dispatch=False))
    run = run_start(kind=EvaluationRun.Kind.NIGHTLY, as_of=AS_OF, dispatch=False)
    assert DEFERRED not in run.params and missing() == []
    run_sync(run=run)


def test_a_run_that_fails_still_builds_them(population):
    run = run_start(kind=EvaluationRun.Kind.MANUAL, as_of=AS_OF, dispatch=False)
    assert missing() == NAMES
    chunk = RunChunk.objects.filter(run=run).first()
    chunk_give_up(chunk_id=chunk.pk, reason="test")
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    assert missing() == []


def test_the_sweeper_builds_indexes_no_open_run_left_out(population):
    run = run_start(kind=EvaluationRun.Kind.MANUAL, as_of=AS_OF, dispatch=False)
    # Its workers gone for good and the run closed around the pipeline (an operator's UPDATE):
    EvaluationRun.objects.filter(pk=run.pk).update(status=EvaluationRun.Status.FAILED)
    assert missing() == NAMES
    runs_sweep()
    assert missing() == []


def test_a_reader_holding_the_table_keeps_the_indexes_in_place(population):
    """Dropping needs the table's exclusive lock: a run does not wait behind a long read for it."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=settings["NAME"]
    ) as reader:
        reader.execute(f"SELECT count(*) FROM {EligibilityResult._meta.db_table}")  # holds its lock until commit
        assert indexes_defer_if_empty() is False
    assert missing() == []


def test_forgetting_every_result_leaves_an_empty_small_table_for_the_rebuild(population):
    """``recompute --rebuild`` forgets every result first: TRUNCATE, not a DELETE whose dead rows the
    rebuild's first reads would have to step over."""
    run_sync(run=run_start(kind=EvaluationRun.Kind.MANUAL, as_of=AS_OF, dispatch=False))
    stored = EligibilityResult.objects.count()
    assert stored > 0
    assert results_forget() == stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s), pg_relation_size(%s)", ["tracker_eligibilityresult",
                                                                           "tracker_inputdigest"])
        assert cursor.fetchone() == (0, 0)
    run = run_start(kind=EvaluationRun.Kind.MANUAL, as_of=AS_OF, dispatch=False)
    assert run.params[DEFERRED] is True
    run_sync(run=run)
    assert EligibilityResult.objects.count() == stored and missing() == []
