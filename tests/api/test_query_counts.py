import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    AnnualMetricsFactory,
    ChainSegmentFactory,
    ClusterFactory,
    DesignationFactory,
    EnterpriseFactory,
    TierFactory,
)
from tracker.models import ClusterMembership

pytestmark = pytest.mark.django_db


@pytest.fixture
def sixty_enterprises():
    """60 enterprises, each with memberships, a held designation and two years of metrics."""
    segment = ChainSegmentFactory()
    other_cluster = ClusterFactory()
    tier = TierFactory()
    for enterprise in EnterpriseFactory.create_batch(60):
        ClusterMembership.objects.create(enterprise=enterprise, cluster=segment.cluster, segment=segment)
        ClusterMembership.objects.create(enterprise=enterprise, cluster=other_cluster)
        DesignationFactory(enterprise=enterprise, tier=tier, status="active")
        AnnualMetricsFactory(enterprise=enterprise, fiscal_year=2024)
        AnnualMetricsFactory(enterprise=enterprise, fiscal_year=2025)


def count_queries(client, url: str, page_size: int) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(context.captured_queries)


@pytest.mark.parametrize("resource", ["enterprises", "metrics", "designations"])
def test_list_query_count_does_not_grow_with_the_page_size(staff_client, sixty_enterprises, resource):
    url = f"/api/v1/{resource}/"
    count_queries(staff_client, url, 1)  # warm the content-type and permission caches
    assert count_queries(staff_client, url, 5) == count_queries(staff_client, url, 50)


def test_the_enterprise_list_baseline(staff_client, sixty_enterprises):
    # token+user, user and group permissions, the user's office (region scope), COUNT, the page (with
    # region), memberships, designations
    assert count_queries(staff_client, "/api/v1/enterprises/", 50) == 8


def test_reference_lists_are_constant_too(staff_client):
    for _ in range(12):
        ChainSegmentFactory()
    url = "/api/v1/clusters/"
    count_queries(staff_client, url, 1)
    assert count_queries(staff_client, url, 2) == count_queries(staff_client, url, 10)
