"""Through the API, an archived enterprise takes no new designation, year of metrics, batch candidate or
cluster membership: a 400 naming the field, nothing stored (services/common.py)."""

import pytest

from tests.factories import ClusterFactory, EnterpriseFactory, TierFactory
from tests.test_batches import result
from tracker.models import AnnualMetrics, Designation
from tracker.services.enterprise_archive import enterprise_archive

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(staff_user):
    return enterprise_archive(enterprise=EnterpriseFactory(), user=staff_user)


def test_a_designation_of_an_archived_enterprise_is_a_400(staff_client, archived):
    tier = TierFactory()
    response = staff_client.post(
        "/api/v1/designations/", {"enterprise": archived.pk, "tier": tier.code, "status": "candidate"}, format="json"
    )
    assert response.status_code == 400
    assert "已归档" in response.json()["enterprise"][0]
    assert not Designation.objects.exists()


def test_metrics_of_an_archived_enterprise_are_a_400(staff_client, archived):
    response = staff_client.post("/api/v1/metrics/", {"enterprise": archived.pk, "fiscal_year": 2025}, format="json")
    assert response.status_code == 400
    assert "已归档" in response.json()["enterprise"][0]
    assert not AnnualMetrics.objects.exists()


def test_an_archived_enterprise_is_no_batch_candidate(staff_client, archived):
    tier = TierFactory(code="specialized_sme")
    result(archived, tier, "eligible")
    batch = staff_client.post(
        "/api/v1/batches/", {"kind": "new", "tier": tier.code, "year": 2026, "name": "2026年第一批"}, format="json"
    ).json()
    response = staff_client.post(
        f"/api/v1/batches/{batch['id']}/candidates/", {"enterprises": [archived.uscc]}, format="json"
    )
    assert response.status_code == 400
    assert "已归档" in response.json()["enterprises"][0]
    assert not Designation.objects.exists()


def test_an_archived_enterprise_joins_no_cluster(staff_client, archived):
    cluster = ClusterFactory()
    url = f"/api/v1/enterprises/{archived.pk}/"
    response = staff_client.patch(url, {"memberships": [{"cluster": cluster.code}]}, format="json")
    assert response.status_code == 400
    assert "已归档" in response.json()["memberships"][0]
    assert not archived.memberships.exists()
    # Its own facts can still be corrected (the record of what it was).
    assert staff_client.patch(url, {"main_product": "更正的产品"}, format="json").status_code == 200
