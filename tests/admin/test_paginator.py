from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import EnterpriseFactory
from tracker.admin.paginator import EstimatedCountPaginator
from tracker.models import Enterprise


def test_on_postgresql_an_unfiltered_big_table_is_estimated_not_counted(db, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "postgresql")
    monkeypatch.setattr(EstimatedCountPaginator, "_table_estimate", staticmethod(lambda conn, table: 1_000_000))
    paginator = EstimatedCountPaginator(Enterprise.objects.order_by("-id"), 50)
    with CaptureQueriesContext(connection) as ctx:
        assert paginator.count == 1_000_000
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]


def test_elsewhere_it_counts_exactly(db):
    EnterpriseFactory.create_batch(3)
    assert EstimatedCountPaginator(Enterprise.objects.order_by("id"), 2).count == 3


def test_a_page_is_read_as_its_ids_then_its_rows_in_the_lists_order_with_their_relations(db):
    """The ids query is narrow (no related tables, no prefetch); the rows come after, in the list's order."""
    EnterpriseFactory.create_batch(5)
    listed = Enterprise.objects.select_related("region").prefetch_related("memberships").order_by("-id")
    paginator = EstimatedCountPaginator(listed, 2)
    assert paginator.count == 5
    with CaptureQueriesContext(connection) as ctx:
        rows = list(paginator.page(2).object_list)
        regions = [row.region.name for row in rows]
        memberships = [list(row.memberships.all()) for row in rows]
    ids = list(Enterprise.objects.order_by("-id").values_list("id", flat=True))
    assert [row.pk for row in rows] == ids[2:4]
    assert regions == ["苏州市", "苏州市"] and memberships == [[], []]
    first_read = next(q["sql"] for q in ctx.captured_queries if "LIMIT 2" in q["sql"])
    assert first_read.startswith('SELECT "tracker_enterprise"."id" AS "pk" FROM') and "tracker_region" not in first_read
    assert len(ctx.captured_queries) == 3  # ids, rows with their region, memberships
