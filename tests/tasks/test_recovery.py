"""Recovering from bad nights: the attempt cap, the retry policy, removed results in the change feed,
and `recompute --rebuild`. Eager (in-process) tasks on the test database; the real-worker version of
the attempt cap is in test_pipeline_workers.py."""

import datetime as dt
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, OperationalError
from django.utils import timezone

from config.celery import app
from tests.tasks.conftest import AS_OF
from tests.tasks.oracle import assert_same, expected_results, stored_results
from tracker.models import ClusterMembership, EligibilityResult, EvaluationRun, Ruleset, RunChunk, TierChange
from tracker.pipeline import chunk as chunk_module
from tracker.pipeline.chunk import process_chunk
from tracker.services.runs import NEVER_FINISHED, run_start, run_sync, runs_sweep
from tracker.tasks import process_chunk_task

pytestmark = pytest.mark.django_db
FY = AS_OF.year - 1


@pytest.fixture
def one_chunk_run(demo, settings):
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 1000, "CHUNK_MAX_ATTEMPTS": 3}
    # Eager tasks re-raise a retry unless told not to; a worker schedules it instead.
    propagates, app.conf.task_eager_propagates = app.conf.task_eager_propagates, False
    demo(40)
    run = run_start(kind="manual", as_of=AS_OF, dispatch=False)
    try:
        yield run, run.chunks.get()
    finally:
        app.conf.task_eager_propagates = propagates


class SqlStateError(Exception):
    """Stands in for the psycopg error Django wraps (it carries the SQLSTATE)."""

    def __init__(self, sqlstate):
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def integrity_error(sqlstate: str) -> IntegrityError:
    error = IntegrityError(f"violates a constraint ({sqlstate})")
    error.__cause__ = SqlStateError(sqlstate)
    return error


def failing_load(error_factory, *, times=None):
    """A replacement for the chunk's load step that raises, ``times`` times (or always)."""
    real = chunk_module._load
    calls = {"n": 0}

    def load(context, part):
        calls["n"] += 1
        if times is None or calls["n"] <= times:
            raise error_factory()
        return real(context, part)

    return load, calls


def given_up_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and "given up" in r.getMessage()]


def test_a_chunk_that_keeps_failing_fails_its_run_after_the_cap_and_logs_why_once(one_chunk_run, monkeypatch, caplog):
    run, chunk = one_chunk_run
    load, _ = failing_load(lambda: ValueError("a bug in the engine"))
    monkeypatch.setattr(chunk_module, "_load", load)
    for _ in range(3):  # the first delivery, then two re-dispatches by the sweeper
        process_chunk_task.apply(args=[chunk.pk])
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (RunChunk.Status.FAILED, 3)
    assert run.status == EvaluationRun.Status.FAILED and run.finished_at is not None
    assert "ValueError: a bug in the engine" in run.error_message and "尝试 3 次" in run.error_message
    assert run.errors == 3
    [error] = given_up_logs(caplog)
    assert error.exc_info is not None and (error.run_id, error.chunk_id) == (run.pk, chunk.pk)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING and "attempt" in r.getMessage()]) == 2
    # A late redelivery changes nothing.
    process_chunk_task.apply(args=[chunk.pk])
    assert RunChunk.objects.get(pk=chunk.pk).attempts == 3


def test_a_dropped_connection_is_retried_and_the_chunk_then_finishes(one_chunk_run, monkeypatch):
    run, chunk = one_chunk_run
    load, calls = failing_load(lambda: OperationalError("server closed the connection unexpectedly"), times=1)
    monkeypatch.setattr(chunk_module, "_load", load)
    process_chunk_task.apply(args=[chunk.pk])
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error_message
    assert calls["n"] == 2 and RunChunk.objects.get(pk=chunk.pk).attempts == 2
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_connection_that_keeps_dropping_fails_the_run_at_the_cap(one_chunk_run, monkeypatch, caplog):
    run, chunk = one_chunk_run
    load, calls = failing_load(lambda: OperationalError("could not connect to server"))
    monkeypatch.setattr(chunk_module, "_load", load)
    process_chunk_task.apply(args=[chunk.pk])
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED and "OperationalError" in run.error_message
    assert calls["n"] == 3
    assert len(given_up_logs(caplog)) == 1


def test_an_integrity_error_is_not_retried(one_chunk_run, monkeypatch):
    run, chunk = one_chunk_run
    load, calls = failing_load(lambda: integrity_error("23503"))  # foreign_key_violation
    monkeypatch.setattr(chunk_module, "_load", load)
    process_chunk_task.apply(args=[chunk.pk])
    run.refresh_from_db()
    assert calls["n"] == 1
    assert run.status == EvaluationRun.Status.FAILED and "IntegrityError" in run.error_message
    assert RunChunk.objects.get(pk=chunk.pk).attempts == 1
    assert runs_sweep(stale_after=dt.timedelta(0)) == []  # nothing left to re-queue: the run is over


def test_a_unique_violation_from_a_concurrent_run_is_retried_once_at_once(one_chunk_run, monkeypatch):
    run, chunk = one_chunk_run
    load, calls = failing_load(lambda: integrity_error("23505"), times=1)  # unique_violation
    monkeypatch.setattr(chunk_module, "_load", load)
    process_chunk_task.apply(args=[chunk.pk])
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED and calls["n"] == 2


def test_the_sweeper_gives_up_a_chunk_that_never_finishes_instead_of_requeueing_it(one_chunk_run):
    run, chunk = one_chunk_run
    long_ago = timezone.now() - dt.timedelta(hours=1)
    # Started three times, each time killed before it could say anything (out of memory, say).
    RunChunk.objects.filter(pk=chunk.pk).update(status="running", attempts=3, claimed_at=long_ago)
    assert runs_sweep(stale_after=dt.timedelta(minutes=10)) == []
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED and NEVER_FINISHED in run.error_message
    assert RunChunk.objects.get(pk=chunk.pk).status == RunChunk.Status.FAILED


def test_the_hard_time_limit_is_named_when_the_chunk_is_given_up(one_chunk_run):
    from celery.exceptions import TimeLimitExceeded

    from tracker.observability.worker import count_task_failure

    run, chunk = one_chunk_run
    RunChunk.objects.filter(pk=chunk.pk).update(status="running", attempts=3, claimed_at=timezone.now())
    count_task_failure(sender=process_chunk_task, exception=TimeLimitExceeded(360), args=[chunk.pk])
    # The message is redelivered (or re-queued by the sweeper): the claim sees the cap.
    assert process_chunk(chunk_id=chunk.pk) is False
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED and "超过硬时限" in run.error_message


def test_an_eligible_result_removed_with_its_membership_records_a_lost_change(demo, django_capture_on_commit_callbacks):
    from tracker.services.enterprises import enterprise_update

    demo(600)  # 9 eligible chain leaders
    run_sync(run=run_start(kind="manual", as_of=AS_OF, dispatch=False))
    leader = EligibilityResult.objects.filter(tier_id="chain_leader", status="eligible").order_by("pk").first()
    assert leader is not None, "the demo data has no eligible chain leader"
    enterprise = leader.enterprise
    kept = [{"cluster": m.cluster, "segment": m.segment} for m in enterprise.memberships.exclude(cluster=leader.cluster)]
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_update(enterprise=enterprise, memberships=kept)
    assert not ClusterMembership.objects.filter(enterprise=enterprise, cluster=leader.cluster).exists()
    change = TierChange.objects.get(enterprise=enterprise, tier_id="chain_leader", cluster=leader.cluster)
    assert (change.change, change.from_status, change.to_status, change.fiscal_year) == ("lost", "eligible", "", FY)


def test_eligible_results_of_a_tier_left_without_a_ruleset_record_lost_changes(demo):
    demo(150)  # 18 eligible gazelles
    run_sync(run=run_start(kind="manual", as_of=AS_OF, dispatch=False))
    eligible = set(EligibilityResult.objects.filter(tier_id="gazelle", status="eligible").values_list("enterprise_id", flat=True))
    assert eligible, "the demo data has no eligible gazelle"
    # The rulesets still exist but none is in force on the evaluation date any more.
    Ruleset.objects.filter(tier_id="gazelle").update(effective_from=AS_OF + dt.timedelta(days=1), effective_to=None)
    run = run_sync(run=run_start(kind="manual", as_of=AS_OF, dispatch=False))
    assert not EligibilityResult.objects.filter(tier_id="gazelle").exists()
    lost = TierChange.objects.filter(tier_id="gazelle", run=run)
    assert set(lost.values_list("enterprise_id", flat=True)) == eligible
    assert set(lost.values_list("change", "to_status")) == {("lost", "")}


def test_rebuild_forgets_results_and_digests_and_recomputes_everything(demo, capsys):
    demo(60)
    run_sync(run=run_start(kind="manual", as_of=AS_OF, dispatch=False))
    # A result that no longer matches its inputs (a bad restore, a hand edit): its digest still
    # vouches for it, so a normal full run keeps it.
    damaged = EligibilityResult.objects.filter(status="eligible").order_by("pk").first()
    EligibilityResult.objects.filter(pk=damaged.pk).update(status="not_eligible")
    assert run_sync(run=run_start(kind="manual", as_of=AS_OF, dispatch=False)).changed == 0
    call_command("recompute", "--rebuild", "--sync", "--as-of", AS_OF.isoformat())
    assert "已删除" in capsys.readouterr().out
    assert EligibilityResult.objects.get(
        enterprise_id=damaged.enterprise_id, tier_id=damaged.tier_id, cluster_id=damaged.cluster_id
    ).status == "eligible"
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_rebuild_is_for_everything_only(demo):
    with pytest.raises(CommandError, match="--rebuild"):
        call_command("recompute", "--rebuild", "--tier", "little_giant")
