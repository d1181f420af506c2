"""A year's metrics by revenue, as every list shows them (tracker.models.metrics.revenue_order): largest
first with the blanks last, or the blanks first and then the smallest; ties by id in the same direction;
the same order in the admin and the API, read from one index without sorting."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.conftest import token_client
from tests.factories import AnnualMetricsFactory
from tests.plans import plan_with_scans_and_sorts_priced_out
from tracker.models import AnnualMetrics

pytestmark = pytest.mark.django_db
ADMIN = reverse("admin:tracker_annualmetrics_changelist")


@pytest.fixture
def year():
    """Two tied revenues, two blanks, one small, and another year's larger revenue that must not show."""
    rows = [AnnualMetricsFactory(revenue=revenue) for revenue in (300, None, 100, None, 300)]
    AnnualMetricsFactory(fiscal_year=2024, revenue=900)
    return rows


def ids(rows) -> list[int]:
    return [row.pk for row in rows]


def test_largest_first_puts_the_blanks_last_and_smallest_first_puts_them_first(year):
    tied_a, blank_a, small, blank_b, tied_b = year
    in_year = AnnualMetrics.objects.filter(fiscal_year=2025)
    largest_first = [tied_b, tied_a, small, blank_b, blank_a]
    assert ids(in_year.by_revenue(descending=True)) == ids(largest_first)
    assert ids(in_year.by_revenue(descending=False)) == ids(reversed(largest_first))


def admin_order(client, descending: bool) -> tuple[list[int], str]:
    column = client.get(ADMIN).context["cl"].list_display.index("revenue_display")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ADMIN, {"fiscal_year": 2025, "o": f"{'-' if descending else ''}{column}"})
    assert response.status_code == 200
    page = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "tracker_annualmetrics"."id"'))
    return [row.pk for row in response.context["cl"].result_list], page


def api_order(client, descending: bool) -> tuple[list[int], str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/metrics/", {"fiscal_year": 2025, "ordering": f"{'-' if descending else ''}revenue"})
    assert response.status_code == 200, response.content[:300]
    page = next(
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith('SELECT "tracker_annualmetrics".') and "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]
    )
    return [row["id"] for row in response.json()["results"]], page


@pytest.mark.parametrize("descending", [True, False])
def test_the_admin_and_the_api_list_a_year_by_revenue_in_the_read_layers_order(staff_user, year, descending):
    expected = ids(AnnualMetrics.objects.filter(fiscal_year=2025).by_revenue(descending=descending))
    admin = Client()
    admin.force_login(staff_user)
    assert admin_order(admin, descending)[0] == expected
    assert api_order(token_client(staff_user), descending)[0] == expected


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("reader", [admin_order, api_order])
def test_a_page_by_revenue_is_read_in_the_index_order_not_sorted(staff_user, year, reader, descending):
    # PostgreSQL's descending order puts the blanks first, and a tie-break by id then sorted every blank of
    # the year before the first row (1.1 s at 10M). One index serves both directions.
    if reader is admin_order:
        client = Client()
        client.force_login(staff_user)
    else:
        client = token_client(staff_user)
    _, page = reader(client, descending)
    plan = plan_with_scans_and_sorts_priced_out(page)
    assert "metrics_revenue_order" in plan, plan
    assert "Sort" not in plan, plan
