"""The recompute pipeline on the test database, eagerly (no broker)."""

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from tests.tasks.conftest import AS_OF
from tests.tasks.oracle import assert_same, expected_results, stored_results
from tracker.models import (
    AnnualMetrics,
    ClusterMembership,
    EligibilityResult,
    Enterprise,
    EvaluationRun,
    RunChunk,
    TierChange,
)
from tracker.pipeline.chunk import process_chunk
from tracker.services import metrics as metrics_services
from tracker.services.runs import run_start, run_sync, runs_sweep

pytestmark = pytest.mark.django_db
FY = AS_OF.year - 1


def sync_run(*, kind="manual", as_of=AS_OF, **kwargs) -> EvaluationRun:
    return run_sync(run=run_start(kind=kind, as_of=as_of, dispatch=False, **kwargs))


def result_versions() -> dict:
    """Each result's row, the run that last wrote it and when, by its key: a rewrite in place keeps
    the row and changes the other two."""
    rows = EligibilityResult.objects.values_list("enterprise_id", "tier_id", "cluster_id", "pk", "run_id", "evaluated_at")
    return {(e, t, c): version for e, t, c, *version in rows}


def test_a_sync_run_stores_one_result_per_enterprise_tier_and_membership_equal_to_the_engine(demo, settings):
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 25}
    n = demo(120)
    run = sync_run()
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert run.chunks_total == 5 and run.chunks_done == 5
    assert set(run.chunks.values_list("status", flat=True)) == {RunChunk.Status.DONE}
    memberships = ClusterMembership.objects.count()
    assert memberships > 0
    assert EligibilityResult.objects.count() == n * 7 + memberships == run.changed == run.evaluated
    assert EligibilityResult.objects.filter(tier_id="chain_leader", cluster__isnull=True).count() == 0
    assert EligibilityResult.objects.filter(cluster__isnull=False).exclude(tier_id="chain_leader").count() == 0
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_rerun_with_nothing_changed_writes_nothing(demo):
    demo(80)
    sync_run()
    before = result_versions()
    run = sync_run()
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert run.changed == 0 and run.evaluated == len(before)
    assert result_versions() == before
    assert TierChange.objects.count() == 0


def test_changing_one_enterprises_metrics_rewrites_only_its_rows(demo, django_capture_on_commit_callbacks):
    demo(80)
    sync_run()
    before = result_versions()
    metrics = AnnualMetrics.objects.filter(fiscal_year=FY, rd_expense__isnull=False).order_by("pk").first()
    target = metrics.enterprise_id
    with django_capture_on_commit_callbacks(execute=True):
        metrics_services.metrics_update(metrics=metrics, rd_expense=metrics.rd_expense * 3 + 1)
    on_change = EvaluationRun.objects.get(kind=EvaluationRun.Kind.ON_CHANGE)
    assert on_change.status == EvaluationRun.Status.SUCCEEDED and not on_change.is_full
    after = result_versions()
    assert set(after) == set(before)
    rewritten = {k for k in before if before[k] != after[k]}
    assert rewritten and {k[0] for k in rewritten} == {target}
    assert on_change.changed == len(rewritten)
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


# The edits start on-change runs, which evaluate as of today: today is the full run's date, so that the
# demo's titles (granted around "today") are held alike in both runs and in the oracle.
@time_machine.travel(dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
def test_a_status_flip_records_a_tier_change_lost_then_gained(demo, django_capture_on_commit_callbacks):
    demo(150)
    run = sync_run()
    eligible = EligibilityResult.objects.filter(status="eligible", cluster__isnull=True).order_by("pk").first()
    assert eligible is not None
    metrics = AnnualMetrics.objects.get(enterprise_id=eligible.enterprise_id, fiscal_year=FY)
    fields = {k: v for k, v in model_to_dict(metrics).items() if k not in ("id",)}
    fields["enterprise"] = metrics.enterprise
    with django_capture_on_commit_callbacks(execute=True):
        metrics_services.metrics_delete(metrics=metrics)
    lost = TierChange.objects.get(enterprise_id=eligible.enterprise_id, tier_id=eligible.tier_id)
    assert lost.change == TierChange.Change.LOST and lost.from_status == "eligible" and lost.to_status != "eligible"
    assert lost.run_id != run.pk and lost.fiscal_year == FY
    with django_capture_on_commit_callbacks(execute=True):
        metrics_services.metrics_create(**fields)
    gained = TierChange.objects.filter(enterprise_id=eligible.enterprise_id, tier_id=eligible.tier_id).order_by("pk")
    assert [c.change for c in gained] == ["lost", "gained"]
    assert gained.last().to_status == "eligible"
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_duplicate_full_trigger_returns_the_open_run(demo):
    demo(30)
    first = run_start(kind="nightly", as_of=AS_OF, dispatch=False)
    second = run_start(kind="nightly", as_of=AS_OF, dispatch=False)
    assert second.pk == first.pk
    assert EvaluationRun.objects.count() == 1
    assert RunChunk.objects.count() == first.chunks_total
    # Another day, or another kind, is another run; so is one after the first closed.
    assert run_start(kind="nightly", as_of=AS_OF + dt.timedelta(days=1), dispatch=False).pk != first.pk
    assert run_start(kind="manual", as_of=AS_OF, dispatch=False).pk != first.pk
    run_sync(run=first)
    assert run_start(kind="nightly", as_of=AS_OF, dispatch=False).pk != first.pk


def test_redelivered_chunks_change_nothing(demo, settings):
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 20}
    demo(60)
    run = run_start(kind="manual", as_of=AS_OF, dispatch=False)
    chunk_ids = list(run.chunks.values_list("pk", flat=True))
    assert len(chunk_ids) == 3
    assert process_chunk(chunk_id=chunk_ids[0]) is True
    ids = result_versions()
    # The same message delivered again (the chunk is done): nothing happens.
    assert process_chunk(chunk_id=chunk_ids[0]) is False
    assert result_versions() == ids
    run.refresh_from_db()
    assert run.chunks_done == 1 and run.status == EvaluationRun.Status.RUNNING
    for chunk_id in chunk_ids[1:]:
        assert process_chunk(chunk_id=chunk_id) is True
        assert process_chunk(chunk_id=chunk_id) is False
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.chunks_total) == (EvaluationRun.Status.SUCCEEDED, 3, 3)
    assert run.changed == EligibilityResult.objects.count()
    ids = result_versions()
    # A redelivery after the run closed changes nothing either; a missing chunk is ignored.
    assert process_chunk(chunk_id=chunk_ids[1]) is False
    assert process_chunk(chunk_id=max(chunk_ids) + 1000) is False
    run.refresh_from_db()
    assert run.chunks_done == 3 and result_versions() == ids
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_chunk_whose_results_another_run_already_wrote_writes_nothing(demo):
    demo(40)
    sync_run(kind="nightly")
    ids = result_versions()
    run = sync_run(kind="manual")
    assert run.changed == 0 and result_versions() == ids


def test_runs_sweep_requeues_stale_chunks_and_closes_finished_runs(demo, settings):
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 20}
    demo(60)
    # A run whose messages were lost: nothing claimed its chunks.
    lost = run_start(kind="nightly", as_of=AS_OF, dispatch=False)
    # Nothing is stale yet with the default window.
    assert runs_sweep() == []
    # One chunk "claimed" by a worker that died long ago, one recently claimed (still working).
    chunks = list(lost.chunks.order_by("first_id"))
    long_ago = lost.started_at - dt.timedelta(hours=1)
    EvaluationRun.objects.filter(pk=lost.pk).update(started_at=long_ago)
    RunChunk.objects.filter(pk=chunks[0].pk).update(status="running", claimed_at=long_ago, attempts=1)
    from django.utils import timezone

    RunChunk.objects.filter(pk=chunks[1].pk).update(status="running", claimed_at=timezone.now(), attempts=1)
    requeued = runs_sweep(stale_after=dt.timedelta(minutes=10))  # eager: processed right away
    assert sorted(requeued) == sorted([chunks[0].pk, chunks[2].pk])
    lost.refresh_from_db()
    assert lost.status == EvaluationRun.Status.RUNNING and lost.chunks_done == 2
    # The recently claimed chunk becomes stale later and is picked up then.
    RunChunk.objects.filter(pk=chunks[1].pk).update(claimed_at=long_ago)
    assert runs_sweep(stale_after=dt.timedelta(minutes=10)) == [chunks[1].pk]
    lost.refresh_from_db()
    assert (lost.status, lost.chunks_done) == (EvaluationRun.Status.SUCCEEDED, 3)

    # A run whose chunks are all done but that was never closed (e.g. a crash after the last commit).
    run = sync_run(kind="manual")
    EvaluationRun.objects.filter(pk=run.pk).update(status="running", finished_at=None)
    assert runs_sweep() == []
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED and run.finished_at is not None
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_the_recompute_command_with_tier_as_of_enterprise_and_sync(demo, capsys):
    demo(40)
    enterprise = Enterprise.objects.order_by("pk")[3]
    call_command(
        "recompute", "--tier", "little_giant", "--tier", "specialized_sme", "--as-of", "2026-05-01",
        "--enterprise", enterprise.uscc.lower(), "--sync",
    )
    out = capsys.readouterr().out
    run = EvaluationRun.objects.get()
    assert f"#{run.pk}" in out and "2026-05-01" in out and "写入 2 项" in out
    assert (run.kind, run.as_of, run.fiscal_year, run.is_full, run.status) == (
        "manual", dt.date(2026, 5, 1), 2025, False, "succeeded"
    )
    assert run.params["tiers"] == ["little_giant", "specialized_sme"]
    assert set(EligibilityResult.objects.values_list("enterprise_id", "tier_id")) == {
        (enterprise.pk, "little_giant"), (enterprise.pk, "specialized_sme")
    }
    assert_same(
        stored_results(fiscal_year=2025),
        expected_results(as_of=AS_OF, enterprise_ids=[enterprise.pk], tiers=["little_giant", "specialized_sme"]),
    )
    with pytest.raises(CommandError, match="未知层级"):
        call_command("recompute", "--tier", "nope", "--sync")
    with pytest.raises(CommandError, match="未找到企业"):
        call_command("recompute", "--enterprise", "91320500MA1XXXXXX0", "--sync")


def test_a_tier_only_run_still_evaluates_the_tiers_it_reads(demo):
    """little_giant reads specialized_sme's status (require: either): a --tier little_giant run must
    evaluate specialized_sme too, or every row would come out insufficient_data."""
    demo(120)
    call_command("recompute", "--tier", "little_giant", "--as-of", "2026-05-01", "--sync", stdout=open("/dev/null", "w"))
    assert set(EligibilityResult.objects.values_list("tier_id", flat=True)) == {"little_giant"}
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF, tiers=["little_giant"]))


def test_the_as_of_date_picks_the_ruleset_version(demo):
    demo(40)
    sync_run(as_of=dt.date(2026, 3, 31))
    before = set(
        EligibilityResult.objects.filter(tier_id="specialized_sme").values_list("ruleset__version", flat=True)
    )
    expected_before = expected_results(as_of=dt.date(2026, 3, 31))
    assert_same(stored_results(fiscal_year=2025), expected_before)
    sync_run(as_of=dt.date(2026, 4, 1))
    after = set(EligibilityResult.objects.filter(tier_id="specialized_sme").values_list("ruleset__version", flat=True))
    assert before and after and before.isdisjoint(after), (before, after)
    result = EligibilityResult.objects.filter(tier_id="specialized_sme").first()
    assert result.ruleset.effective_from == dt.date(2026, 4, 1)
    assert_same(stored_results(fiscal_year=2025), expected_results(as_of=dt.date(2026, 4, 1)))


@pytest.mark.django_db
def test_an_incremental_run_evaluates_only_enterprises_changed_since_the_last_full_run():
    from django.core.management import call_command

    from tracker.models import AnnualMetrics, EvaluationRun
    from tracker.services.runs import last_full_run_started

    call_command("bootstrap", verbosity=0)
    call_command("generate_demo", enterprises=30, seed=7, verbosity=0)
    call_command("recompute", sync=True, verbosity=0)
    changed = AnnualMetrics.objects.filter(fiscal_year=2025, revenue__isnull=False).order_by("id").first()
    changed.revenue = changed.revenue + 1
    changed.save()  # stamps updated_at, as every write path does

    call_command("recompute", changed=True, sync=True, verbosity=0)

    run = EvaluationRun.objects.latest("created_at")
    assert not run.is_full
    assert run.params["enterprise_count"] == 1
    assert run.chunks.get().enterprise_ids == [changed.enterprise_id]
    assert last_full_run_started() < run.started_at


def test_leaving_a_cluster_removes_the_chain_leader_result_for_it(demo, django_capture_on_commit_callbacks):
    from tracker.services.enterprises import enterprise_update

    demo(80)
    sync_run()
    membership = ClusterMembership.objects.order_by("pk").first()
    enterprise = membership.enterprise
    kept = [{"cluster": m.cluster, "segment": m.segment} for m in enterprise.memberships.exclude(pk=membership.pk)]
    key = {"enterprise_id": enterprise.pk, "tier_id": "chain_leader", "cluster_id": membership.cluster_id}
    assert EligibilityResult.objects.filter(**key).exists()
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_update(enterprise=enterprise, memberships=kept)
    on_change = EvaluationRun.objects.get(kind=EvaluationRun.Kind.ON_CHANGE)
    assert on_change.status == EvaluationRun.Status.SUCCEEDED and on_change.changed >= 1
    assert not EligibilityResult.objects.filter(**key).exists()
    ids = [enterprise.pk]
    assert_same(stored_results(fiscal_year=FY, enterprise_ids=ids), expected_results(as_of=AS_OF, enterprise_ids=ids))
    # The members left behind moved up a place; the next full run catches them up.
    sync_run(kind="nightly")
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_second_per_cluster_tier_needs_only_data(demo):
    """A province adds 链长 enterprises: a tier marked per_cluster and its rulesets, no code. It is
    evaluated once per membership, holders in a cluster are re-reviewed there, and nowhere else."""
    from tracker.models import ClusterMembership, Designation, Ruleset, Tier

    demo(60)
    tier = Tier.objects.create(
        code="chain_champion", name_zh="链长企业", name_en="Chain champion", track=Tier.Track.CHAIN,
        ladder_order=2, per_cluster=True,
    )
    definition = {"id": "root", "kind": "test", "label": {"zh": "集群内营收第一", "en": "First in the cluster"},
                  "reference": "test", "variable": "revenue_rank_in_cluster", "op": "lte", "threshold": 1}
    new = Ruleset.objects.create(tier=tier, version="T-NEW", effective_from=dt.date(2023, 1, 1), mode="new",
                                 status="active", reference="test", definition=definition)
    review = Ruleset.objects.create(tier=tier, version="T-REVIEW", effective_from=dt.date(2023, 1, 1), mode="review",
                                    status="active", reference="test", definition={**definition, "threshold": 2})
    membership = ClusterMembership.objects.order_by("pk").first()
    Designation.objects.create(enterprise=membership.enterprise, tier=tier, cluster=membership.cluster,
                               status="active", recognized_on=dt.date(2025, 1, 1))
    run = sync_run()
    assert run.status == EvaluationRun.Status.SUCCEEDED
    rows = EligibilityResult.objects.filter(tier=tier)
    assert rows.count() == ClusterMembership.objects.count() and not rows.filter(cluster__isnull=True).exists()
    held = rows.get(enterprise=membership.enterprise, cluster=membership.cluster)
    assert held.ruleset_id == review.pk
    assert set(rows.exclude(pk=held.pk).values_list("ruleset_id", flat=True)) == {new.pk}
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))
