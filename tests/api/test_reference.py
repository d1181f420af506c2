import pytest

from tests.api.base import ResourceTests
from tests.factories import ChainSegmentFactory, ClusterFactory, RegionFactory, TierFactory
from tracker.models import Cluster, Region, Tier

pytestmark = pytest.mark.django_db


class TestRegionAPI(ResourceTests):
    basename = "region"
    model = Region
    update_data = {"name": "苏州市（更新）"}

    def make_object(self):
        return RegionFactory()

    def create_data(self):
        RegionFactory(code="320000", name="江苏省", level=Region.Level.PROVINCE)
        return {"code": "320506", "name": "吴中区", "name_en": "Wuzhong", "level": "county", "parent": "320000"}


class TestClusterAPI(ResourceTests):
    basename = "cluster"
    model = Cluster
    update_data = {"name_zh": "新能源集群"}

    def make_object(self):
        return ClusterFactory()

    def create_data(self):
        RegionFactory()
        return {
            "code": "new-energy",
            "name_zh": "新能源",
            "group": "international",
            "core_regions": ["320500"],
            "segments": [{"position": "upstream", "name": "硅料", "sort_order": 1}],
        }


class TestTierAPI(ResourceTests):
    basename = "tier"
    model = Tier
    update_data = {"name_en": "Specialised SME"}

    def make_object(self):
        return TierFactory()

    def lookup(self, obj):
        return obj.code

    def create_data(self):
        return {
            "code": "specialized_sme",
            "name_zh": "专精特新中小企业",
            "name_en": "Specialized SME",
            "track": "quality_sme",
            "ladder_order": 2,
        }


def test_cluster_segments_are_replaced_as_a_list_keeping_ids_by_name(staff_client):
    cluster = ClusterFactory()
    kept = ChainSegmentFactory(cluster=cluster, name="电芯")
    ChainSegmentFactory(cluster=cluster, name="回收")
    response = staff_client.patch(
        f"/api/v1/clusters/{cluster.pk}/",
        {"segments": [{"position": "midstream", "name": "电芯"}, {"position": "upstream", "name": "正极材料"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    segments = {s["name"]: s for s in response.json()["segments"]}
    assert set(segments) == {"电芯", "正极材料"}
    assert segments["电芯"]["id"] == kept.pk


def test_duplicate_segment_names_are_rejected(staff_client):
    cluster = ClusterFactory()
    response = staff_client.patch(
        f"/api/v1/clusters/{cluster.pk}/",
        {"segments": [{"position": "upstream", "name": "硅料"}, {"position": "midstream", "name": "硅料"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "segments" in response.json()


def test_a_tier_code_cannot_be_changed(staff_client):
    TierFactory()
    response = staff_client.patch("/api/v1/tiers/specialized_sme/", {"code": "other"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()


def test_deleting_a_region_still_in_use_is_a_conflict_not_an_error(staff_client):
    from tests.factories import EnterpriseFactory

    enterprise = EnterpriseFactory()
    response = staff_client.delete(f"/api/v1/regions/{enterprise.region_id}/")
    assert response.status_code == 409
    assert Region.objects.filter(pk=enterprise.region_id).exists()
