"""Scoping costs a fixed number of queries per request — the user's office and the region table — and
nothing per row (the API; the admin: test_admin_query_counts.py)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.access.conftest import DEFINITION
from tests.api.conftest import token_client, user_with_perms
from tests.factories import AnnualMetricsFactory, DesignationFactory, EnterpriseFactory, TierFactory, region
from tracker.models import EligibilityResult, Ruleset

pytestmark = pytest.mark.django_db

VIEW = ["view_enterprise", "view_annualmetrics", "view_designation", "view_eligibilityresult", "view_tierchange"]


@pytest.fixture(scope="module")
def _sixty_in_each_city(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        build_sixty_in_each_city()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def sixty_in_each_city(_sixty_in_each_city, db):
    return None


def build_sixty_in_each_city():
    tier = TierFactory()
    ruleset = Ruleset.objects.create(tier=tier, version="T", effective_from="2020-01-01", status="active",
                                     reference="t", definition=DEFINITION)
    for code in ("320102", "320506"):
        for enterprise in EnterpriseFactory.create_batch(60, region=region(code)):
            AnnualMetricsFactory(enterprise=enterprise, fiscal_year=2025)
            DesignationFactory(enterprise=enterprise, tier=tier, status="active")
            EligibilityResult.objects.create(
                enterprise=enterprise, tier=tier, fiscal_year=timezone.localdate().year - 1, status="not_eligible",
                ruleset=ruleset, failed_nodes=b"\x03", input_hash=0, evaluated_at=timezone.now(),
            )


def queries(client, url: str, **params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    return len(context.captured_queries), len(body["results"])


@pytest.mark.parametrize("resource", ["enterprises", "metrics", "designations", "results", "gaps"])
def test_a_city_users_list_costs_the_same_for_5_or_50_rows(sixty_in_each_city, resource):
    client = token_client(user_with_perms(*VIEW, region="320100"))
    url = f"/api/v1/{resource}/"
    queries(client, url, page_size=1)  # warm the caches
    small, rows_small = queries(client, url, page_size=5)
    large, rows_large = queries(client, url, page_size=50)
    assert (rows_small, rows_large) == (5, 50) and small == large


@pytest.mark.parametrize("resource", ["enterprises", "results"])
def test_scoping_a_city_user_adds_one_query_to_a_province_users_list(sixty_in_each_city, resource):
    url = f"/api/v1/{resource}/"
    province = token_client(user_with_perms(*VIEW))
    city = token_client(user_with_perms(*VIEW, region="320100"))
    province_count, province_rows = queries(province, url, page_size=50)
    city_count, city_rows = queries(city, url, page_size=50)
    assert province_rows == city_rows == 50
    assert city_count == province_count + 1  # the region table, read once
