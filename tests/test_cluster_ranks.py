"""Revenue ranks in a cluster: the worker-wide snapshot, the server's count for an edit's few members,
and the count for one member all agree; an edit does not read the snapshot."""

import datetime as dt
import io

import numpy as np
import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tracker.models import AnnualMetrics, ClusterMembership, Enterprise, EvaluationRun
from tracker.pipeline import chunk as chunk_module
from tracker.pipeline import cluster_ranks
from tracker.pipeline.cluster_ranks import ClusterRevenueRanks
from tracker.pipeline.counted_ranks import CountedRanks, revenue_rank
from tracker.services.runs import run_start, run_sync

pytestmark = pytest.mark.django_db
FY = 2025
COUNT_QUERY = "WITH q (i, cluster_id, revenue)"


@pytest.fixture
def clusters(db):
    """80 demo enterprises; two members tied on revenue, one member without revenue."""
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=80, seed=11, stdout=io.StringIO())
    first, second = AnnualMetrics.objects.filter(
        fiscal_year=FY, revenue__isnull=False, enterprise__memberships__isnull=False
    ).order_by("pk")[:2]
    AnnualMetrics.objects.filter(pk=second.pk).update(revenue=first.revenue, main_business_revenue=None)
    last = AnnualMetrics.objects.filter(fiscal_year=FY, revenue__isnull=False, enterprise__memberships__isnull=False)
    AnnualMetrics.objects.filter(pk=last.latest("pk").pk).update(revenue=None, main_business_revenue=None)
    revenue = dict(AnnualMetrics.objects.filter(fiscal_year=FY).values_list("enterprise_id", "revenue"))
    members = list(ClusterMembership.objects.order_by("pk").values_list("enterprise_id", "cluster_id"))
    assert len(members) > 50
    return revenue, members


def as_ints(ranks):
    return [None if np.isnan(r) else int(r) for r in ranks]


def test_the_count_for_one_member_equals_the_snapshots_rank_for_every_member(clusters):
    revenue, members = clusters
    own = np.array([np.nan if revenue.get(e) is None else float(revenue[e]) for e, _ in members])
    snapshot = ClusterRevenueRanks().rank(FY, np.array([c for _, c in members]), own)
    counted = [revenue_rank(fiscal_year=FY, cluster_id=c, revenue=revenue.get(e)) for e, c in members]
    assert as_ints(snapshot) == counted
    assert None in counted and 1 in counted
    tied = [r for r in counted if r is not None]
    assert len(tied) > len(set(tied))  # the tie ranks two members alike


def test_counted_ranks_equal_the_snapshots_for_every_member_in_one_query(clusters):
    revenue, members = clusters
    enterprises = np.array(sorted({e for e, _ in members} | {max(revenue) + 1}))  # and one that is no member
    cluster_ids = np.array([c for _, c in members])
    # The members' own revenues, plus revenues no member has (an edit's new figure), above and below all.
    own = np.array([np.nan if revenue.get(e) is None else float(revenue[e]) for e, _ in members])
    probes = np.array([own[0] * 1.5 if own[0] == own[0] else 1.0, 0.0, 1e15, -1.0])
    probe_clusters = cluster_ids[:4]
    snapshot = ClusterRevenueRanks()
    counted = CountedRanks()
    with CaptureQueriesContext(connection) as queries:
        by_count = counted.rank(FY, np.concatenate([cluster_ids, probe_clusters]), np.concatenate([own, probes]))
        again = counted.rank(FY, cluster_ids, own)  # the evaluation after the digest check: no query
    assert len(queries) == 1
    assert as_ints(by_count) == as_ints(
        snapshot.rank(FY, np.concatenate([cluster_ids, probe_clusters]), np.concatenate([own, probes]))
    )
    assert as_ints(again) == as_ints(by_count[: len(members)])
    np.testing.assert_array_equal(counted.revenue_of(FY, enterprises), snapshot.revenue_of(FY, enterprises))


def test_an_edit_is_ranked_by_counting_and_the_snapshot_catches_up_with_it_later(clusters, monkeypatch):
    _, members = clusters
    # Loaded minutes before: the patch must not take every row for a late commit.
    AnnualMetrics.objects.update(updated_at=timezone.now() - dt.timedelta(minutes=3))
    ranks = ClusterRevenueRanks()
    read = []
    real = cluster_ranks._member_revenues
    monkeypatch.setattr(
        cluster_ranks, "_member_revenues",
        lambda fy, *, enterprise_ids: read.append(None if enterprise_ids is None else len(enterprise_ids))
        or real(fy, enterprise_ids=enterprise_ids),
    )
    edited = members[0][0]
    assert isinstance(ranks.for_run("edit", enterprise_ids=np.array([edited])), CountedRanks)
    assert read == []  # a worker's first edit reads no snapshot
    ranks.rank(FY, np.array([members[0][1]]), np.array([1.0]))  # a full run's chunk reads it
    assert read == [None]
    ranks.for_run("edit 2", enterprise_ids=np.array([edited]))
    many = np.array(sorted({e for e, _ in members}))[: cluster_ranks.COUNTED_UP_TO + 1]
    assert ranks.for_run("import", enterprise_ids=many) is ranks
    assert read[-1] == len(np.union1d(many, [edited]))  # the edit since the read is patched in


def test_an_on_change_run_counts_its_ranks_in_one_query_and_never_reads_the_snapshot(clusters, monkeypatch):
    _, members = clusters
    run_sync(run=run_start(kind="manual", dispatch=False))  # results and digests to compare with
    monkeypatch.setattr(chunk_module, "_cluster_ranks", ClusterRevenueRanks())  # a fresh worker
    monkeypatch.setattr(cluster_ranks, "_member_revenues", lambda *a, **k: pytest.fail("snapshot read"))
    edited = sorted({e for e, _ in members})[:5]
    AnnualMetrics.objects.filter(enterprise_id__in=edited, fiscal_year=FY).update(revenue=123456789)
    with CaptureQueriesContext(connection) as queries:
        run = run_sync(run=run_start(kind=EvaluationRun.Kind.ON_CHANGE, enterprise_ids=edited, dispatch=False))
    assert run.status == EvaluationRun.Status.SUCCEEDED and run.inputs_changed == 5
    # One count for every membership of the five (digest check and evaluation share it), none per member.
    assert sum(COUNT_QUERY in q["sql"] for q in queries) == 1
    assert len(queries) <= 30, [q["sql"][:80] for q in queries]


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_after_the_snapshot_was_read_is_patched_in_though_stamped_before(clusters, monkeypatch):
    """The importer's transaction stamps a row, the snapshot is read without it, the importer commits:
    the next listed run's patch takes the row, by when the importer's transaction began (no margin
    here, so a bound taken at the read itself would miss the row)."""
    _, members = clusters
    monkeypatch.setattr(cluster_ranks, "PATCH_MARGIN", dt.timedelta(0))
    AnnualMetrics.objects.update(updated_at=timezone.now() - dt.timedelta(minutes=3))
    enterprise, cluster = members[0]
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as importer:
        importer.execute(
            f"UPDATE {AnnualMetrics._meta.db_table} SET revenue = 1e14, updated_at = now() "
            f"WHERE enterprise_id = %s AND fiscal_year = %s",
            [enterprise, FY],
        )
        ranks = ClusterRevenueRanks()
        before = ranks.rank(FY, np.array([cluster]), np.array([1e13]))  # the snapshot, without the row
        importer.commit()
    others = np.array(sorted({e for e, _ in members} - {enterprise}))[: cluster_ranks.COUNTED_UP_TO + 1]
    ranks.for_run("incremental", enterprise_ids=others)
    assert ranks.rank(FY, np.array([cluster]), np.array([1e13]))[0] == before[0] + 1
    assert ranks.revenue_of(FY, np.array([enterprise]))[0] == 1e14


def test_the_patch_bound_is_the_oldest_open_transaction_not_a_fixed_margin(db):
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as other:
        (began,) = other.execute("SELECT now()").fetchone()  # its transaction stays open
        bound = cluster_ranks._saved_since_bound()
        assert bound <= began - cluster_ranks.PATCH_MARGIN
    bound = cluster_ranks._saved_since_bound()
    # No other transaction open: seconds before the read, not the ten minutes it was.
    assert timezone.now() - dt.timedelta(minutes=1) < bound <= timezone.now() - cluster_ranks.PATCH_MARGIN


def snapshot_of(ranks: ClusterRevenueRanks) -> dict:
    return {
        "rows": {name: column.tolist() for name, column in ranks._rows.items()},
        "sorted": {cluster: values.tolist() for cluster, values in ranks._sorted.items()},
        "members": ranks._members.tolist(),
        "member_revenue": ranks._member_revenue.tolist(),
    }


def test_a_patched_snapshot_is_the_snapshot_read_afresh(clusters):
    """Raised, tied, emptied and filled revenues, a membership added and one ended, an enterprise
    archived: patching those members in place gives what a fresh read gives, row for row."""
    revenue, members = clusters
    AnnualMetrics.objects.update(updated_at=timezone.now() - dt.timedelta(minutes=3))
    ranks = ClusterRevenueRanks()
    assert ranks.for_run("nightly") is ranks
    ranks.rank(FY, np.array([members[0][1]]), np.array([1.0]))  # the full run's read
    ids = sorted({e for e, _ in members})
    with_revenue = [e for e in ids if revenue.get(e) is not None]
    raised, tied, emptied, added, ended, archived = with_revenue[:6]
    filled = next(e for e in ids if revenue.get(e) is None)
    metrics = AnnualMetrics.objects.filter(fiscal_year=FY)
    metrics.filter(enterprise_id=raised).update(revenue=10**13)
    metrics.filter(enterprise_id=tied).update(revenue=revenue[with_revenue[10]])
    metrics.filter(enterprise_id=emptied).update(revenue=None, main_business_revenue=None)
    metrics.filter(enterprise_id=filled).update(revenue=7)
    clusters_of = dict(members)
    other = next(c for _, c in members if c != clusters_of[added])
    ClusterMembership.objects.get_or_create(enterprise_id=added, cluster_id=other)
    ClusterMembership.objects.filter(enterprise_id=ended).delete()
    Enterprise.objects.filter(pk=archived).update(archived_at=timezone.now())
    touched = [raised, tied, emptied, filled, added, ended, archived]
    listed = np.array(sorted(set(touched) | set(ids[-cluster_ranks.COUNTED_UP_TO:])))
    assert ranks.for_run("incremental", enterprise_ids=listed) is ranks
    fresh = ClusterRevenueRanks()
    fresh.rank(FY, np.array([members[0][1]]), np.array([1.0]))
    assert snapshot_of(ranks) == snapshot_of(fresh)
    probes = np.array([0.0, 7.0, float(revenue[with_revenue[10]]), 10.0**13, 10.0**14])
    for cluster in {c for _, c in members}:
        np.testing.assert_array_equal(
            ranks.rank(FY, np.full(len(probes), cluster), probes), fresh.rank(FY, np.full(len(probes), cluster), probes)
        )
    # A second patch of the same members in the same run changes nothing.
    ranks.for_run("incremental", enterprise_ids=listed)
    assert snapshot_of(ranks) == snapshot_of(fresh)


def test_a_run_keeps_its_snapshot_to_its_end_and_the_next_one_reads_it_afresh_when_old(clusters, monkeypatch):
    _, members = clusters
    ranks = ClusterRevenueRanks(max_age_seconds=0)  # old as soon as it is read
    read = []
    real = cluster_ranks._member_revenues
    monkeypatch.setattr(
        cluster_ranks, "_member_revenues",
        lambda fy, *, enterprise_ids: read.append(enterprise_ids is None) or real(fy, enterprise_ids=enterprise_ids),
    )
    cluster = np.array([members[0][1]])
    ranks.for_run("cold")
    ranks.rank(FY, cluster, np.array([1.0]))
    ranks.for_run("cold")  # the same run, past the age: a cold run at 10M outlasts it
    ranks.rank(FY, cluster, np.array([1.0]))
    assert read == [True]
    listed = np.array(sorted({e for e, _ in members}))[: cluster_ranks.COUNTED_UP_TO + 1]
    ranks.for_run("incremental", enterprise_ids=listed)  # a new run, the snapshot too old to patch
    ranks.rank(FY, cluster, np.array([1.0]))
    assert read == [True, True]
