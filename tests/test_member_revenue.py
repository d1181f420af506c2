"""Each member's revenue in rank order (MemberRevenue) is what the sources say after every kind of write:
services, queryset updates, bulk inserts, COPY, archiving, deletes — and two transactions at once."""

import io
import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import AnnualMetricsFactory, ClusterFactory, EnterpriseFactory
from tracker.models import AnnualMetrics, ClusterMembership, Enterprise, MemberRevenue
from tracker.models.member_revenue import MEMBER_REVENUE_ROWS
from tracker.services.enterprise_archive import enterprise_archive, enterprise_hard_delete, enterprise_restore

pytestmark = pytest.mark.django_db


def from_sources() -> set[tuple[int, int, int, float]]:
    """(enterprise, fiscal year, cluster, revenue) for every member not archived with a revenue."""
    revenue = {
        (e, fy): float(r)
        for e, fy, r in AnnualMetrics.objects.filter(revenue__isnull=False).values_list(
            "enterprise_id", "fiscal_year", "revenue"
        )
    }
    return {
        (e, fy, c, r)
        for e, c in ClusterMembership.objects.filter(enterprise__archived_at__isnull=True).values_list(
            "enterprise_id", "cluster_id"
        )
        for (e2, fy), r in revenue.items()
        if e2 == e
    }


def kept() -> set[tuple[int, int, int, float]]:
    return set(MemberRevenue.objects.values_list("enterprise_id", "fiscal_year", "cluster_id", "revenue"))


def test_it_follows_every_kind_of_write_to_metrics_memberships_and_enterprises():
    first, second = ClusterFactory(), ClusterFactory()
    member, outsider = EnterpriseFactory(), EnterpriseFactory()
    metrics = AnnualMetricsFactory(enterprise=member, fiscal_year=2025, revenue=1000)
    AnnualMetricsFactory(enterprise=outsider, fiscal_year=2025, revenue=5000)
    assert kept() == set()  # no memberships yet

    steps = [
        lambda: ClusterMembership.objects.create(enterprise=member, cluster=first),
        lambda: AnnualMetricsFactory(enterprise=member, fiscal_year=2024, revenue=900),
        lambda: ClusterMembership.objects.create(enterprise=outsider, cluster=first),
        lambda: ClusterMembership.objects.create(enterprise=member, cluster=second),
        lambda: AnnualMetrics.objects.filter(pk=metrics.pk).update(revenue=1234.56),  # around the services
        lambda: AnnualMetrics.objects.filter(pk=metrics.pk).update(employees=7),  # not the revenue
        lambda: AnnualMetrics.objects.filter(pk=metrics.pk).update(revenue=None),
        lambda: AnnualMetrics.objects.filter(pk=metrics.pk).update(revenue=2000),
        lambda: AnnualMetrics.objects.filter(enterprise=member, fiscal_year=2024).update(fiscal_year=2023),
        lambda: AnnualMetrics.objects.bulk_create(
            [AnnualMetrics(enterprise=e, fiscal_year=2026, revenue=r) for e, r in ((member, 3000), (outsider, None))]
        ),
        lambda: ClusterMembership.objects.filter(enterprise=outsider).update(cluster=second),
        lambda: enterprise_archive(enterprise=Enterprise.objects.get(pk=member.pk)),
        lambda: AnnualMetrics.objects.filter(pk=metrics.pk).update(revenue=2500),  # while archived
        lambda: enterprise_restore(enterprise=Enterprise.objects.get(pk=member.pk)),
        lambda: ClusterMembership.objects.filter(enterprise=member, cluster=first).delete(),
        lambda: AnnualMetrics.objects.filter(enterprise=member, fiscal_year=2023).delete(),
        lambda: enterprise_hard_delete(enterprise=Enterprise.objects.get(pk=member.pk)),
    ]
    seen = []
    for step in steps:
        step()
        assert kept() == from_sources()
        seen.append(len(kept()))
    assert max(seen) >= 5 and seen[-1] == 1  # it held several rows, and the outsider's is left


def test_it_matches_the_sources_after_a_demo_load_and_a_rebuild_gives_the_same_rows():
    """The demo writes by COPY on PostgreSQL (statement triggers) and by bulk_create on SQLite."""
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=60, seed=3, stdout=io.StringIO())
    loaded = kept()
    assert len(loaded) > 100 and loaded == from_sources()
    MemberRevenue.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(MEMBER_REVENUE_ROWS)
    assert kept() == loaded


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's (COPY)")
def test_a_bulk_demo_load_fills_the_rows_once_and_leaves_the_triggers_on():
    """``--replace`` takes the bulk path: the INSERT triggers are off during the COPY, the rows are filled
    once at the end, and the triggers are on again afterwards (rolled back with the load on failure)."""
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    outsider = EnterpriseFactory()
    cluster = ClusterFactory()
    ClusterMembership.objects.create(enterprise=outsider, cluster=cluster)
    AnnualMetricsFactory(enterprise=outsider, fiscal_year=2024, revenue=5e8)
    call_command("generate_demo", enterprises=80, seed=4, replace=True, stdout=io.StringIO())
    loaded = kept()
    assert len(loaded) > 100 and loaded == from_sources()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'member_revenue_%%' AND NOT tgisinternal"
        )
        states = dict(cursor.fetchall())
    assert len(states) >= 7 and set(states.values()) == {"O"}, states
    firm = Enterprise.objects.filter(memberships__isnull=False).exclude(pk=outsider.pk).first()
    AnnualMetrics.objects.create(enterprise=firm, fiscal_year=2015, revenue=123)  # a trigger sees it
    assert kept() == from_sources()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="vacuum and pg_class are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_bulk_demo_load_leaves_the_rows_vacuumed_so_a_rank_count_reads_the_index_alone():
    """Also the metrics, whose row hashes the nightly combines from their unique index."""
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=80, seed=4, replace=True, stdout=io.StringIO())
    for model in (MemberRevenue, AnnualMetrics):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relpages, relallvisible, reltuples FROM pg_class WHERE oid = %s::regclass",
                [model._meta.db_table],
            )
            pages, all_visible, tuples = cursor.fetchone()
        assert pages > 0 and all_visible == pages and tuples == model.objects.count(), model


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_a_membership_added_while_another_transaction_changes_the_revenue_carries_the_new_revenue():
    """An editor's revenue update and an importer's new membership of the same enterprise, at once: the
    importer's refresh waits for the editor's commit and then reads the new revenue. Without the lock
    it would read the old one (its snapshot) and keep it for the new cluster."""
    first, second = ClusterFactory(), ClusterFactory()
    member = EnterpriseFactory()
    ClusterMembership.objects.create(enterprise=member, cluster=first)
    AnnualMetricsFactory(enterprise=member, fiscal_year=2025, revenue=1000)
    params = {k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"}
    with psycopg.connect(**params) as editor, psycopg.connect(**params) as importer:
        editor.execute(
            "UPDATE tracker_annualmetrics SET revenue = 2000 WHERE enterprise_id = %s AND fiscal_year = 2025",
            [member.pk],
        )
        importer_pid, failed = importer.info.backend_pid, []

        def add_membership():
            try:
                importer.execute(
                    "INSERT INTO tracker_clustermembership (enterprise_id, cluster_id) VALUES (%s, %s)",
                    [member.pk, second.pk],
                )
                importer.commit()
            except psycopg.Error as error:
                failed.append(error)

        thread = threading.Thread(target=add_membership)
        thread.start()
        with psycopg.connect(**params) as watcher:
            for _ in range(500):  # until the importer waits for the editor's lock
                waiting = watcher.execute(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [importer_pid]
                ).fetchone()
                if waiting and waiting[0]:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the importer never waited for the editor")
        editor.commit()
        thread.join(timeout=30)
    assert not failed, failed
    assert kept() == from_sources() == {(member.pk, 2025, first.pk, 2000.0), (member.pk, 2025, second.pk, 2000.0)}
