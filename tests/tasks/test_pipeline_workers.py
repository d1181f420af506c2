"""The pipeline with real parts: PostgreSQL, a Redis broker and `celery worker` subprocesses.

These fail (never skip) without PostgreSQL or Redis. Run with
DATABASE_URL=postgres://postgres@127.0.0.1:5432/tidu_tasks .venv/bin/pytest tests/tasks
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from config.celery import app
from tests.factories import UserFactory, give_office
from tests.tasks import workers as real
from tests.tasks.conftest import AS_OF
from tests.tasks.oracle import assert_same, expected_results, result_snapshot, stored_results
from tracker.models import AnnualMetrics, EligibilityResult, Enterprise, EvaluationRun, RunChunk
from tracker.pipeline.results_store import results_forget
from tracker.services.runs import NEVER_FINISHED, run_start, run_sync, runs_sweep

pytestmark = pytest.mark.django_db(transaction=True)
FY = AS_OF.year - 1
ENTERPRISES = 2000


@pytest.fixture
def postgres(transactional_db, settings):
    real.require_postgresql()
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": real.CHUNK_SIZE}


@pytest.fixture
def broker(postgres, settings):
    client = real.require_redis()
    client.flushdb()
    settings.CELERY_BROKER_URL = real.BROKER_URL
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = real.use_broker(app)
    try:
        yield client
    finally:
        real.restore_app(app, saved)
        real.redis_start()  # whatever happened, leave the machine's Redis running
        client.flushdb()


@pytest.fixture
def start_worker(broker, tmp_path):
    started: list[real.Worker] = []

    def start(name: str, **options) -> real.Worker:
        worker = real.Worker(name, tmp_path, **options)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


@pytest.fixture
def population(postgres):
    call_command("bootstrap", verbosity=0, stdout=open("/dev/null", "w"))
    call_command("generate_demo", enterprises=ENTERPRISES, seed=11, stdout=open("/dev/null", "w"))
    return ENTERPRISES


def ledger(run_pk: int) -> str:
    run = EvaluationRun.objects.get(pk=run_pk)
    chunks = dict.fromkeys(RunChunk.Status.values, 0)
    for status in run.chunks.values_list("status", flat=True):
        chunks[status] += 1
    return f"run #{run.pk} {run.status} {run.chunks_done}/{run.chunks_total} chunks={chunks} error={run.error_message!r}"


def wait_for_run(run_pk: int, *, timeout: float, sweep_after: dt.timedelta | None = None, workers=()) -> EvaluationRun:
    """Poll the ledger until the run closes; optionally sweep (re-queue stale chunks) on the way."""
    deadline = time.monotonic() + timeout
    next_sweep = time.monotonic() + 2
    while time.monotonic() < deadline:
        run = EvaluationRun.objects.get(pk=run_pk)
        if run.status in (EvaluationRun.Status.SUCCEEDED, EvaluationRun.Status.FAILED):
            return run
        if sweep_after is not None and time.monotonic() >= next_sweep:
            next_sweep = time.monotonic() + 2
            try:
                runs_sweep(stale_after=sweep_after)
            except Exception:
                pass
        time.sleep(0.2)
    logs = "\n".join(f"--- {w.name}\n{w.log()}" for w in workers)
    raise AssertionError(f"run did not finish in {timeout} s: {ledger(run_pk)}\n{logs}")


def wait_until_partly_done(run_pk: int, *, at_least: int, mid_chunk: bool = False, timeout: float = 60) -> int | None:
    """Wait until ``at_least`` chunks are done (and, with ``mid_chunk``, one is being worked on);
    returns the id of the chunk in progress, if any."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = EvaluationRun.objects.get(pk=run_pk).chunks_done
        running = RunChunk.objects.filter(run_id=run_pk, status=RunChunk.Status.RUNNING).values_list("pk", flat=True)
        if done >= at_least and (running or not mid_chunk):
            return running[0] if running else None
        time.sleep(0.01)
    raise AssertionError(f"no progress: {ledger(run_pk)}")


def assert_no_duplicates() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT (enterprise_id, tier_id, fiscal_year, COALESCE(cluster_id, 0))) "
            "FROM tracker_eligibilityresult"
        )
        total, distinct = cursor.fetchone()
    assert total == distinct, f"{total - distinct} duplicate results"


def undisturbed_snapshot() -> set:
    """Recompute everything from scratch in-process (no worker, nothing killed) and snapshot it."""
    results_forget()
    run = run_sync(run=run_start(kind="manual", as_of=AS_OF, dispatch=False))
    assert run.status == EvaluationRun.Status.SUCCEEDED
    return result_snapshot(FY)


def test_a_worker_recomputes_the_population_and_a_rerun_writes_nothing(population, start_worker):
    worker = start_worker("a")
    run = run_start(kind="nightly", as_of=AS_OF)
    run = wait_for_run(run.pk, timeout=120, workers=[worker])
    assert run.status == EvaluationRun.Status.SUCCEEDED, ledger(run.pk)
    assert run.chunks_total == ENTERPRISES // real.CHUNK_SIZE
    assert run.chunks_done == run.chunks_total
    assert set(run.chunks.values_list("status", flat=True)) == {RunChunk.Status.DONE}
    assert run.changed == run.evaluated == EligibilityResult.objects.count()
    assert_no_duplicates()
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))
    by_worker = result_snapshot(FY)
    ids = set(EligibilityResult.objects.values_list("pk", flat=True))

    rerun = wait_for_run(run_start(kind="nightly", as_of=AS_OF).pk, timeout=120, workers=[worker])
    assert rerun.pk != run.pk
    assert (rerun.status, rerun.changed, rerun.chunks_done) == ("succeeded", 0, rerun.chunks_total)
    assert set(EligibilityResult.objects.values_list("pk", flat=True)) == ids

    assert undisturbed_snapshot() == by_worker


def test_a_killed_worker_loses_and_duplicates_nothing(population, start_worker):
    first = start_worker("doomed")
    run = run_start(kind="nightly", as_of=AS_OF)
    in_progress = wait_until_partly_done(run.pk, at_least=3, mid_chunk=True)
    first.kill()
    done_at_kill = EvaluationRun.objects.get(pk=run.pk).chunks_done
    print(f"killed the worker at {ledger(run.pk)}")
    assert 3 <= done_at_kill < run.chunks_total, f"the run was not mid-way when killed: {ledger(run.pk)}"
    second = start_worker("rescuer")
    run = wait_for_run(run.pk, timeout=150, sweep_after=dt.timedelta(seconds=5), workers=[first, second])
    assert run.status == EvaluationRun.Status.SUCCEEDED, ledger(run.pk)
    assert run.chunks_done == run.chunks_total
    assert set(run.chunks.values_list("status", flat=True)) == {RunChunk.Status.DONE}
    # The chunk the killed worker was working on was done again, by the other worker.
    assert RunChunk.objects.get(pk=in_progress).attempts >= 2
    print(f"finished: {ledger(run.pk)}; attempts per chunk {list(run.chunks.values_list('attempts', flat=True))}")
    assert_no_duplicates()
    assert run.changed == EligibilityResult.objects.count()
    survived = result_snapshot(FY)
    assert undisturbed_snapshot() == survived


def test_a_redis_restart_mid_run_heals(population, start_worker):
    worker = start_worker("a")
    run = run_start(kind="nightly", as_of=AS_OF)
    wait_until_partly_done(run.pk, at_least=2)
    try:
        real.redis_restart()  # the queued chunk messages are gone (no persistence)
        print(f"restarted Redis at {ledger(run.pk)}")
    finally:
        real.redis_start()
    assert EvaluationRun.objects.get(pk=run.pk).chunks_done < run.chunks_total, ledger(run.pk)
    run = wait_for_run(run.pk, timeout=150, sweep_after=dt.timedelta(seconds=5), workers=[worker])
    print(f"after the restart: {ledger(run.pk)}; attempts {list(run.chunks.values_list('attempts', flat=True))}")
    if run.status == EvaluationRun.Status.FAILED:
        assert run.error_message, "a failed run must say why"
        run = wait_for_run(run_start(kind="nightly", as_of=AS_OF).pk, timeout=150,
                           sweep_after=dt.timedelta(seconds=5), workers=[worker])
    assert run.status == EvaluationRun.Status.SUCCEEDED, ledger(run.pk)
    assert_no_duplicates()
    healed = result_snapshot(FY)
    assert len(healed) == EligibilityResult.objects.count() > 0
    assert undisturbed_snapshot() == healed


def test_two_concurrent_triggers_give_one_run(population):
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def trigger():
        try:
            barrier.wait(timeout=10)
            runs.append(run_start(kind="nightly", as_of=AS_OF, dispatch=False).pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(runs) == 2 and runs[0] == runs[1]
    assert EvaluationRun.objects.filter(kind="nightly", as_of=AS_OF).count() == 1
    run = EvaluationRun.objects.get()
    assert run.chunks.count() == run.chunks_total == ENTERPRISES // real.CHUNK_SIZE


def test_metrics_saved_through_the_api_reach_the_results_via_the_worker(population, start_worker):
    # On-change runs evaluate as of today, so the baseline does too.
    baseline = run_sync(run=run_start(kind="manual", dispatch=False))
    fiscal_year = baseline.fiscal_year
    metrics = AnnualMetrics.objects.filter(fiscal_year=fiscal_year, rd_expense__isnull=False).order_by("pk").first()
    assert metrics is not None, f"no metrics for {fiscal_year}: the demo data ends in 2025"
    enterprise_id = metrics.enterprise_id
    before = stored_results(fiscal_year=fiscal_year, enterprise_ids=[enterprise_id])
    hashes_before = set(
        EligibilityResult.objects.filter(enterprise_id=enterprise_id).values_list("input_hash", flat=True)
    )
    start_worker("a")
    user = UserFactory(username="analyst", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tracker"))
    give_office(user)  # the province: every enterprise is visible
    client = APIClient()
    client.force_authenticate(user)
    response = client.patch(
        f"/api/v1/metrics/{metrics.pk}/", {"rd_expense": str(metrics.rd_expense * 40 + 1_000_000)}, format="json"
    )
    assert response.status_code == 200, response.content
    on_change = EvaluationRun.objects.get(kind=EvaluationRun.Kind.ON_CHANGE)
    assert not on_change.is_full and on_change.chunks_total == 1 and on_change.as_of == baseline.as_of
    run = wait_for_run(on_change.pk, timeout=30)
    assert run.status == EvaluationRun.Status.SUCCEEDED, ledger(run.pk)
    hashes_after = set(
        EligibilityResult.objects.filter(enterprise_id=enterprise_id).values_list("input_hash", flat=True)
    )
    assert hashes_after.isdisjoint(hashes_before)
    after = stored_results(fiscal_year=fiscal_year, enterprise_ids=[enterprise_id])
    assert_same(after, expected_results(as_of=baseline.as_of, enterprise_ids=[enterprise_id]))
    assert set(after) == set(before)


def test_a_save_during_a_full_run_is_not_queued_behind_its_chunks(population, broker, start_worker):
    """A full run's chunks wait on the bulk queue, a save's run on the default one, and a worker takes
    from the two by turns: the save is written after at most one of the full run's chunks, not after
    all of them."""
    full = run_start(kind="manual", as_of=AS_OF)
    saved = run_start(kind="on_change", as_of=AS_OF, enterprise_ids=[Enterprise.objects.order_by("pk").last().pk])
    assert full.chunks_total == ENTERPRISES // real.CHUNK_SIZE and saved.chunks_total == 1
    assert (broker.llen("bulk"), broker.llen("celery")) == (full.chunks_total, 1)
    worker = start_worker("a")
    saved = wait_for_run(saved.pk, timeout=60, workers=[worker])
    full = wait_for_run(full.pk, timeout=120, workers=[worker])
    assert saved.status == full.status == EvaluationRun.Status.SUCCEEDED, (ledger(saved.pk), ledger(full.pk))
    assert full.chunks.filter(finished_at__lt=saved.finished_at).count() <= 1
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_chunk_that_always_kills_its_worker_fails_the_run_instead_of_looping(population, start_worker):
    # Every pool process of this worker dies (SIGKILL, as the OOM killer does) inside any chunk, after
    # claiming it. Celery requeues the message of a lost worker at once: only the cap stops it.
    worker = start_worker("doomed", settings_module="tests.tasks.settings_dying_worker")
    enterprise_id = Enterprise.objects.order_by("pk").values_list("pk", flat=True).first()
    run = run_start(kind="manual", as_of=AS_OF, enterprise_ids=[enterprise_id])
    run = wait_for_run(run.pk, timeout=120, workers=[worker])
    assert run.status == EvaluationRun.Status.FAILED, ledger(run.pk)
    assert NEVER_FINISHED in run.error_message
    chunk = run.chunks.get()
    assert (chunk.status, chunk.attempts) == (RunChunk.Status.FAILED, 3)
    print(f"gave up: {ledger(run.pk)}")



def test_a_running_worker_is_alive_in_health_and_a_killed_one_drops_out(broker, start_worker, settings):
    from tracker.observability import health, heartbeats

    # The worker writes every 10 s; count it alive for 12 s after its last heartbeat.
    settings.TIDU = {**settings.TIDU, "HEARTBEAT_STALE_SECONDS": 12}
    worker = start_worker("watched")
    deadline = time.monotonic() + 60
    while not heartbeats.alive(heartbeats.WORKERS_KEY) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert heartbeats.alive(heartbeats.WORKERS_KEY) == [f"watched@{socket.gethostname()}"], worker.log()
    assert health.workers().ok
    worker.kill()  # SIGKILL: no clean shutdown, the heartbeat just stops
    time.sleep(13)
    result = health.workers()
    assert not result.ok and "no worker has reported" in result.detail
