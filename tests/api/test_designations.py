from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.base import ResourceTests
from tests.factories import ClusterFactory, DesignationFactory, EnterpriseFactory, TierFactory
from tracker.models import Designation, Tier

pytestmark = pytest.mark.django_db

URL = "/api/v1/designations/"


def chain_leader() -> Tier:
    return TierFactory(
        code="chain_leader", name_zh="链主企业", track=Tier.Track.CHAIN, ladder_order=1, per_cluster=True
    )


class TestDesignationAPI(ResourceTests):
    basename = "designation"
    model = Designation
    audited = True
    update_data = {"document_no": "苏工信中小〔2024〕9号", "status": "publicized"}
    extra_permissions = ("publish_designation",)

    def make_object(self):
        return DesignationFactory()

    def create_data(self):
        return {
            "enterprise": EnterpriseFactory().pk,
            "tier": TierFactory().code,
            "batch": "2025年第一批",
            "recognized_on": "2025-06-01",
            "valid_until": "2028-05-31",
            "status": "candidate",
        }

    def put_data(self, obj):
        return {**super().put_data(obj), "enterprise": obj.enterprise_id}


def test_valid_until_before_recognized_on_is_a_400(staff_client):
    data = {
        "enterprise": EnterpriseFactory().pk,
        "tier": TierFactory().code,
        "recognized_on": "2025-06-01",
        "valid_until": "2025-01-01",
    }
    response = staff_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert "valid_until" in response.json()
    assert not Designation.objects.exists()


def test_a_forbidden_status_transition_is_a_400_naming_status(staff_client):
    designation = DesignationFactory(status="expired")
    response = staff_client.patch(f"{URL}{designation.pk}/", {"status": "active"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    designation.refresh_from_db()
    assert designation.status == "expired"


def test_an_allowed_transition_records_the_reason(staff_client, staff_user):
    designation = DesignationFactory(status="active")
    response = staff_client.patch(
        f"{URL}{designation.pk}/", {"status": "review_due", "change_reason": "三年期满复核"}, format="json"
    )
    assert response.status_code == 200, response.json()
    latest = designation.history.latest("history_id")
    assert (latest.status, latest.history_change_reason, latest.history_user) == (
        "review_due",
        "三年期满复核",
        staff_user,
    )


def test_a_chain_leader_designation_needs_a_cluster(staff_client):
    data = {"enterprise": EnterpriseFactory().pk, "tier": chain_leader().code, "status": "candidate"}
    response = staff_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert "cluster" in response.json()


def test_designations_filter_by_tier_status_and_cluster(staff_client):
    leader_tier = chain_leader()
    cluster = ClusterFactory(code="ic")
    leader = DesignationFactory(tier=leader_tier, cluster=cluster, status="active")
    DesignationFactory(status="active")
    DesignationFactory(status="candidate", recognized_on=None)

    def ids(params):
        response = staff_client.get(URL, params)
        assert response.status_code == 200, response.json()
        return sorted(row["id"] for row in response.json()["results"])

    assert ids({"tier": "chain_leader"}) == [leader.pk]
    assert ids({"cluster": "ic"}) == [leader.pk]
    assert ids({"cluster_id": cluster.pk}) == [leader.pk]
    assert len(ids({"status": "active"})) == 2
    assert len(ids({"status": ["active", "candidate"]})) == 3


def test_designations_filter_by_valid_until_range_and_due_within_days(staff_client):
    today = timezone.localdate()
    soon = DesignationFactory(status="active", valid_until=today + timedelta(days=30))
    DesignationFactory(status="active", valid_until=today + timedelta(days=200))
    DesignationFactory(status="expired", valid_until=today + timedelta(days=10))

    def ids(params):
        return [row["id"] for row in staff_client.get(URL, params).json()["results"]]

    assert ids({"due_within_days": 90}) == [soon.pk]
    window = {"valid_until__gte": str(today), "valid_until__lte": str(today + timedelta(days=60))}
    assert len(ids(window)) == 2


def test_designations_filter_by_enterprise_uscc(staff_client):
    mine = DesignationFactory()
    DesignationFactory()
    assert [row["id"] for row in staff_client.get(URL, {"enterprise": mine.enterprise.uscc}).json()["results"]] == [
        mine.pk
    ]
