"""A result whose inputs changed is rewritten in its own row (PostgreSQL), and a chunk that finds its
stored results changed by another writer since it read them reads again instead of overwriting them.
The stored results must equal the independent oracle's either way."""

import pytest
from django.db import connection

from config.celery import app
from tests.tasks.conftest import AS_OF
from tests.tasks.oracle import assert_same, expected_results, stored_results
from tracker.models import AnnualMetrics, EligibilityResult, EvaluationRun, RunChunk
from tracker.pipeline import chunk as chunk_module
from tracker.services.runs import run_start, run_sync
from tracker.tasks import process_chunk_task

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="results are rewritten in place on PostgreSQL"),
]
FY = AS_OF.year - 1
RESULTS = EligibilityResult._meta.db_table


def full_run(kind="nightly") -> EvaluationRun:
    run = run_sync(run=run_start(kind=kind, as_of=AS_OF, dispatch=False))
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error_message
    return run


def row_writes() -> tuple[int, int, int, int]:
    """This transaction's inserts, updates, deletes and HOT updates (no index touched) of results so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [RESULTS],
        )
        return cursor.fetchone()


def raise_rd_expense_of_one_enterprise() -> int:
    """Change one enterprise's assessment-year R&D expense around the services (no signal, no run).
    Unlike its revenue, it moves no other enterprise's result (a chain leader's revenue rank)."""
    metrics = AnnualMetrics.objects.filter(fiscal_year=FY, rd_expense__isnull=False).order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tracker_annualmetrics SET rd_expense = rd_expense * 5 + 1 WHERE id = %s", [metrics.pk])
    return metrics.enterprise_id


def keys_and_ids(enterprise_id: int) -> dict:
    rows = EligibilityResult.objects.filter(enterprise_id=enterprise_id, fiscal_year=FY)
    return {(r.tier_id, r.cluster_id): r.pk for r in rows}


def test_a_changed_result_is_rewritten_in_its_row(demo):
    demo(90)
    full_run()
    enterprise_id = raise_rd_expense_of_one_enterprise()
    before, (ins, upd, dels, hot) = keys_and_ids(enterprise_id), row_writes()
    run = full_run(kind="manual")
    after = row_writes()
    assert run.changed > 0
    # Every rewrite an update of the stored row, none a delete and an insert; those that left the
    # indexed columns alone stayed on their page, which the table's fill factor kept room on.
    assert (after[0] - ins, after[1] - upd, after[2] - dels) == (0, run.changed, 0)
    assert after[3] - hot > 0
    assert keys_and_ids(enterprise_id) == before
    rewritten = EligibilityResult.objects.filter(run_id=run.pk)
    assert set(rewritten.values_list("enterprise_id", flat=True)) == {enterprise_id}
    assert rewritten.count() == run.changed
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


@pytest.fixture
def retries_scheduled(settings):
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 1000, "CHUNK_MAX_ATTEMPTS": 3}
    # Eager tasks re-raise a retry unless told not to; a worker schedules it instead.
    propagates, app.conf.task_eager_propagates = app.conf.task_eager_propagates, False
    yield
    app.conf.task_eager_propagates = propagates


@pytest.mark.parametrize(
    "meanwhile",
    [
        # another run rewrote the enterprise's results from other inputs
        f"UPDATE {RESULTS} SET input_hash = input_hash + 1 WHERE enterprise_id = %s",
        # another writer removed them (the enterprise was archived and restored, say)
        f"DELETE FROM {RESULTS} WHERE enterprise_id = %s",
    ],
    ids=["rewritten", "removed"],
)
def test_results_changed_after_the_chunk_read_them_are_read_again(demo, retries_scheduled, monkeypatch, meanwhile):
    demo(40)
    full_run()
    enterprise_id = raise_rd_expense_of_one_enterprise()
    run = run_start(kind="manual", as_of=AS_OF, dispatch=False)
    chunk = run.chunks.get()
    real_load, loads = chunk_module._load, []

    def load_then_another_writer(context, part):
        work = real_load(context, part)
        loads.append(part)
        if len(loads) == 1:
            with connection.cursor() as cursor:
                cursor.execute(meanwhile, [enterprise_id])
        return work

    monkeypatch.setattr(chunk_module, "_load", load_then_another_writer)
    process_chunk_task.apply(args=[chunk.pk])
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error_message
    assert len(loads) == 2 and RunChunk.objects.get(pk=chunk.pk).attempts == 2
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))
