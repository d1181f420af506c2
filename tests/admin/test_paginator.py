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
