"""Input digests: a full run reads in full, and evaluates, only the enterprises whose inputs changed.

The digest is a pre-filter on PostgreSQL; whatever it lets through or holds back, the stored results
must equal the independent oracle's.
"""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count

from tests.tasks.conftest import AS_OF
from tests.tasks.oracle import assert_same, expected_results, stored_results
from tracker.models import AnnualMetrics, ClusterMembership, EligibilityResult, EvaluationRun, InputDigest
from tracker.pipeline.results_store import results_forget
from tracker.rules import ENGINE_REVISION
from tracker.services import metrics as metrics_services
from tracker.services.runs import run_start, run_sync

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="digests use PostgreSQL's row hashing"),
]
FY = AS_OF.year - 1


def full_run(*, as_of=AS_OF, kind="nightly", **kwargs) -> EvaluationRun:
    run = run_sync(run=run_start(kind=kind, as_of=as_of, dispatch=False, **kwargs))
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error_message
    return run


def test_a_full_run_records_a_digest_per_enterprise_and_a_rerun_reads_no_metrics(demo):
    n = demo(90)
    first = full_run()
    assert first.inputs_changed == n
    assert InputDigest.objects.filter(fiscal_year=FY).count() == n
    second = full_run(kind="manual")
    assert (second.inputs_changed, second.changed) == (0, 0)
    assert second.evaluated == first.evaluated == EligibilityResult.objects.count()


def test_a_change_made_around_the_services_is_still_seen(demo):
    """A bulk UPDATE that leaves updated_at alone (and fires no signal) changes the row's content
    hash: the next full run re-evaluates exactly that enterprise."""
    demo(90)
    full_run()
    metrics = AnnualMetrics.objects.filter(fiscal_year=FY, rd_expense__isnull=False).order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tracker_annualmetrics SET rd_expense = rd_expense * 5 + 1 WHERE id = %s", [metrics.pk]
        )
    run = full_run(kind="manual")
    assert run.inputs_changed == 1
    assert run.changed > 0
    assert set(
        EligibilityResult.objects.filter(run_id=run.pk).values_list("enterprise_id", flat=True)
    ) == {metrics.enterprise_id}
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_deleted_metrics_row_is_seen(demo):
    demo(60)
    full_run()
    metrics = AnnualMetrics.objects.filter(fiscal_year=FY - 1).order_by("pk").first()
    AnnualMetrics.objects.filter(pk=metrics.pk)._raw_delete(connection.alias)  # no signal, no on-change run
    run = full_run(kind="manual")
    assert run.inputs_changed == 1
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_another_members_revenue_moves_a_chain_leader_rank_and_is_seen(demo):
    """A revenue rank depends on the other members of the cluster: when one member overtakes the
    rest, every member whose rank moved is re-evaluated, although their own rows are untouched."""
    demo(150)
    full_run()
    with_revenue = AnnualMetrics.objects.filter(fiscal_year=FY, revenue__isnull=False).values("enterprise_id")
    cluster_id = (
        ClusterMembership.objects.filter(enterprise_id__in=with_revenue)
        .values("cluster_id")
        .annotate(members=Count("id"))
        .order_by("-members", "cluster_id")
        .values_list("cluster_id", flat=True)
        .first()
    )
    members = AnnualMetrics.objects.filter(
        fiscal_year=FY, revenue__isnull=False, enterprise__memberships__cluster_id=cluster_id
    ).order_by("revenue")
    assert members.count() >= 3
    lowest = members.first()
    top = members.last().revenue
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tracker_annualmetrics SET revenue = %s WHERE id = %s", [top * 10, lowest.pk])
    run = full_run(kind="manual")
    # The lowest member went to the top: every other member with revenue fell one place.
    assert run.inputs_changed >= members.count()
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_later_evaluation_date_re_evaluates_only_those_it_affects(demo):
    """Company ages and designations' validity move with the date; most enterprises are untouched."""
    n = demo(150)
    full_run()
    later = AS_OF + dt.timedelta(days=200)  # same fiscal year
    run = full_run(as_of=later)
    assert 0 < run.inputs_changed < n
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=later))


def test_a_changed_setting_re_evaluates_everyone(demo, settings):
    n = demo(60)
    full_run()
    settings.TIDU = {**settings.TIDU, "NEAR_MISS_TOLERANCE": settings.TIDU["NEAR_MISS_TOLERANCE"] / 2}
    run = full_run(kind="manual")
    assert run.inputs_changed == n
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_a_tier_limited_run_neither_trusts_nor_writes_digests(demo):
    n = demo(60)
    full_run()
    digests = dict(InputDigest.objects.values_list("enterprise_id", "digest"))
    run = full_run(kind="manual", tiers=["innovative_sme"])
    assert run.inputs_changed == n and run.changed == 0
    assert dict(InputDigest.objects.values_list("enterprise_id", "digest")) == digests


def test_forgetting_results_forgets_their_digests_so_the_next_run_rebuilds_them(demo):
    n = demo(60)
    first = full_run()
    assert results_forget(fiscal_year=FY) == first.changed
    assert not InputDigest.objects.exists()
    run = full_run(kind="manual")
    assert run.inputs_changed == n and run.changed == first.changed
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=AS_OF))


def test_an_edit_is_ranked_against_current_figures_by_a_worker_that_ranked_before(
    demo, django_capture_on_commit_callbacks
):
    """The worker's cluster revenue snapshot is patched for an on-change run: the top member, its
    revenue cut to almost nothing, ranks last — not one below last, behind its own old figure."""
    demo(150)
    full_run()  # the worker's snapshot now holds every member's revenue
    member = (
        ClusterMembership.objects.filter(
            enterprise__metrics__fiscal_year=FY, enterprise__metrics__revenue__isnull=False
        )
        .order_by("-enterprise__metrics__revenue")
        .first()
    )
    metrics = AnnualMetrics.objects.get(enterprise_id=member.enterprise_id, fiscal_year=FY)
    with django_capture_on_commit_callbacks(execute=True):
        metrics_services.metrics_update(metrics=metrics, revenue=1, main_business_revenue=1)
    on_change = EvaluationRun.objects.filter(kind=EvaluationRun.Kind.ON_CHANGE).latest("pk")
    assert on_change.status == EvaluationRun.Status.SUCCEEDED and on_change.inputs_changed == 1
    ids = [member.enterprise_id]
    assert_same(
        stored_results(fiscal_year=FY, enterprise_ids=ids, tiers=["chain_leader"]),
        expected_results(as_of=AS_OF, enterprise_ids=ids, tiers=["chain_leader"]),
    )


def test_a_new_engine_revision_rewrites_every_result(demo, monkeypatch):
    demo(40)
    first = full_run()
    for module in ("tracker.pipeline.hashing", "tracker.pipeline.input_digest"):
        monkeypatch.setattr(f"{module}.ENGINE_REVISION", ENGINE_REVISION + 1)
    run = full_run(kind="manual")
    assert run.inputs_changed == 40 and run.changed == first.changed == EligibilityResult.objects.count()


def test_attested_distinctiveness_points_entered_around_the_services_are_seen(demo):
    """The 特色化 points live on the metrics row, so PostgreSQL's row hash covers them: a run under the
    2022 rules (where they count) re-reads the enterprise whose attestation changed, and only it."""
    as_of = dt.date(2026, 3, 31)
    demo(60)
    full_run(as_of=as_of)
    metrics = AnnualMetrics.objects.filter(fiscal_year=FY, distinctiveness_points__isnull=True).order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tracker_annualmetrics SET distinctiveness_points = 15 WHERE id = %s", [metrics.pk])
    run = full_run(as_of=as_of, kind="manual")
    assert run.inputs_changed == 1
    assert_same(stored_results(fiscal_year=FY), expected_results(as_of=as_of))
