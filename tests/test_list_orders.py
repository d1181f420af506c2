"""The orders the read layer defines, as every list shows them, read from one index without sorting:

- a year's metrics by revenue (``revenue_order``): largest first with the blanks last, or the blanks
  first and then the smallest; ties by id in the same direction;
- the gaps closest first (``gap_order``): smallest shortfall, fewest failing criteria, id; or all three
  reversed.

The admin and the API order alike."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.admin.conftest import DEFINITION
from tests.api.conftest import token_client
from tests.factories import AnnualMetricsFactory, EnterpriseFactory, TierFactory
from tests.plans import plan_with_scans_and_sorts_priced_out
from tracker.models import AnnualMetrics, EligibilityResult, EvaluationRun, Ruleset
from tracker.models.evaluation import gap_order
from tracker.models.metrics import revenue_order

pytestmark = pytest.mark.django_db
ADMIN = reverse("admin:tracker_annualmetrics_changelist")
RESULTS = reverse("admin:tracker_eligibilityresult_changelist")


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
    assert ids(in_year.order_by(*revenue_order(descending=True))) == ids(largest_first)
    assert ids(in_year.order_by(*revenue_order(descending=False))) == ids(reversed(largest_first))


def admin_list(client, url, column, table, descending, **params) -> tuple[list[int], str]:
    """The rows of an admin list sorted by ``column`` and the SQL of its page of ids."""
    index = client.get(url, params).context["cl"].list_display.index(column)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {**params, "o": f"{'-' if descending else ''}{index}"})
    assert response.status_code == 200
    page = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'SELECT "{table}"."id"'))
    return [row.pk for row in response.context["cl"].result_list], page


def api_list(client, url, term, table, descending, **params) -> tuple[list[int], str]:
    """The rows of an API list ordered by ``term`` and the SQL of its page."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {**params, "ordering": f"{'-' if descending else ''}{term}"})
    assert response.status_code == 200, response.content[:300]
    page = next(
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith(f'SELECT "{table}".') and "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]
    )
    return [row["id"] for row in response.json()["results"]], page


def admin_order(client, descending: bool) -> tuple[list[int], str]:
    return admin_list(client, ADMIN, "revenue_display", "tracker_annualmetrics", descending, fiscal_year=2025)


def api_order(client, descending: bool) -> tuple[list[int], str]:
    return api_list(client, "/api/v1/metrics/", "revenue", "tracker_annualmetrics", descending, fiscal_year=2025)


@pytest.mark.parametrize("descending", [True, False])
def test_the_admin_and_the_api_list_a_year_by_revenue_in_the_read_layers_order(staff_user, year, descending):
    expected = ids(AnnualMetrics.objects.filter(fiscal_year=2025).order_by(*revenue_order(descending=descending)))
    admin = Client()
    admin.force_login(staff_user)
    assert admin_order(admin, descending)[0] == expected
    assert api_order(token_client(staff_user), descending)[0] == expected


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("reader", [admin_order, api_order])
def test_a_page_by_revenue_is_read_in_the_index_order_not_sorted(staff_user, year, reader, descending):
    # PostgreSQL's descending order puts the blanks first, and a tie-break by id then sorted every blank of
    # the year before the first row (1.1 s at 10M). One index serves both directions.
    _, page = reader(client_for(reader, staff_user), descending)
    plan = plan_with_scans_and_sorts_priced_out(page)
    assert "metrics_revenue_order" in plan, plan
    assert "Sort" not in plan, plan


def client_for(reader, user):
    if reader in (admin_order, admin_gaps):
        client = Client()
        client.force_login(user)
        return client
    return token_client(user)


@pytest.fixture
def gaps():
    """A tier's gaps in 2025, three of them tied on shortfall 0 (a failed yes/no criterion), one of those
    failing two criteria; an eligible result that no gap list shows."""
    tier = TierFactory(code="specialized_sme")
    ruleset = Ruleset.objects.create(tier=tier, version="T", effective_from="2020-01-01", status="active",
                                     reference="t", definition=DEFINITION)
    EvaluationRun.objects.create(kind="nightly", as_of="2026-06-30", fiscal_year=2025, status="succeeded",
                                 finished_at="2026-06-30T22:00:00Z")

    def result(shortfall, failing, status="not_eligible"):
        return EligibilityResult.objects.create(
            enterprise=EnterpriseFactory(), tier=tier, fiscal_year=2025, status=status, shortfall=shortfall,
            failing_count=failing, near_miss=False, ruleset=ruleset, input_hash=0, evaluated_at="2026-06-30T22:00:00Z",
        )

    rows = [result(0, 2), result(0.25, 1), result(0, 1), result(0, 1), result(0.5, 3)]
    result(None, 0, status="eligible")
    return rows


def admin_gaps(client, descending: bool) -> tuple[list[int], str]:
    return admin_list(client, RESULTS, "shortfall_display", "tracker_eligibilityresult", descending,
                      status="not_eligible", tier="specialized_sme")


def api_gaps(client, descending: bool) -> tuple[list[int], str]:
    return api_list(client, "/api/v1/gaps/", "shortfall", "tracker_eligibilityresult", descending,
                    tier="specialized_sme", fiscal_year=2025)


def test_closest_first_is_the_smallest_shortfall_then_the_fewest_failing_then_id(gaps):
    two_failing, quarter, tied_a, tied_b, half = gaps
    closest_first = [tied_a, tied_b, two_failing, quarter, half]
    assert ids(EligibilityResult.objects.filter(status="not_eligible").order_by(*gap_order())) == ids(closest_first)
    farthest_first = EligibilityResult.objects.filter(status="not_eligible").order_by(*gap_order(descending=True))
    assert ids(farthest_first) == ids(reversed(closest_first))


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("reader", [admin_gaps, api_gaps])
def test_the_gap_lists_are_in_the_read_layers_order_from_their_index(staff_user, gaps, reader, descending):
    # The admin broke a shortfall tie by id descending, against the index: PostgreSQL sorted every gap
    # of the tie (16,882 of a tier at 1M) and, for a city, checked each one's region first.
    rows, page = reader(client_for(reader, staff_user), descending)
    expected = EligibilityResult.objects.filter(status="not_eligible").order_by(*gap_order(descending=descending))
    assert rows == ids(expected)
    plan = plan_with_scans_and_sorts_priced_out(page)
    assert "result_gap_order" in plan, plan
    assert "Sort" not in plan, plan
