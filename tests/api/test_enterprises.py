import pytest

from api.pagination import StandardPagination
from tests.api.base import ResourceTests
from tests.factories import (
    ChainSegmentFactory,
    ClusterFactory,
    DesignationFactory,
    EnterpriseFactory,
    RegionFactory,
    TierFactory,
    make_uscc,
)
from tracker.models import ClusterMembership, Enterprise

pytestmark = pytest.mark.django_db

URL = "/api/v1/enterprises/"
PILOT_CODE = "91350203M0001QAY9B"  # legally issued, fails the check digit


def wrong_check_digit(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


class TestEnterpriseAPI(ResourceTests):
    basename = "enterprise"
    model = Enterprise
    audited = True
    update_data = {"name": "苏州更新科技有限公司", "listed": True}

    def make_object(self):
        return EnterpriseFactory()

    def create_data(self):
        segment = ChainSegmentFactory()
        RegionFactory()
        return {
            "uscc": make_uscc("320500"),
            "name": "苏州新建科技有限公司",
            "region": "320500",
            "founded_on": "2010-03-01",
            "sector": "industry",
            "memberships": [{"cluster": segment.cluster.code, "segment": segment.pk}],
        }


def test_memberships_are_written_through_the_service_and_read_back(staff_client):
    segment = ChainSegmentFactory()
    other = ClusterFactory()
    enterprise = EnterpriseFactory()
    response = staff_client.patch(
        f"{URL}{enterprise.pk}/",
        {"memberships": [{"cluster": segment.cluster.code, "segment": segment.pk}, {"cluster": other.code}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["memberships"] == [
        {"cluster": segment.cluster.code, "segment": segment.pk},
        {"cluster": other.code, "segment": None},
    ]
    assert ClusterMembership.objects.filter(enterprise=enterprise).count() == 2


def test_a_segment_of_another_cluster_is_rejected(staff_client):
    enterprise = EnterpriseFactory()
    response = staff_client.patch(
        f"{URL}{enterprise.pk}/",
        {"memberships": [{"cluster": ClusterFactory().code, "segment": ChainSegmentFactory().pk}]},
        format="json",
    )
    assert response.status_code == 400
    assert not ClusterMembership.objects.exists()


def test_a_wrong_check_digit_is_a_400_naming_uscc_and_writes_nothing(staff_client):
    RegionFactory()
    data = {"uscc": wrong_check_digit(make_uscc()), "name": "甲", "region": "320500"}
    response = staff_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert "uscc" in response.json()
    assert not Enterprise.objects.exists()


def test_an_override_without_the_permission_is_a_400(staff_client):
    RegionFactory()
    data = {"uscc": PILOT_CODE, "uscc_check_override": "早期试点代码", "name": "甲", "region": "320500"}
    response = staff_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert "uscc_check_override" in response.json()
    assert not Enterprise.objects.exists()


def test_a_staff_put_does_not_recheck_an_unchanged_overridden_code(staff_client):
    enterprise = EnterpriseFactory(uscc=PILOT_CODE, uscc_check_override="试点", region=RegionFactory())
    data = {"uscc": PILOT_CODE, "uscc_check_override": "试点", "name": "新名称", "region": "320500"}
    response = staff_client.put(f"{URL}{enterprise.pk}/", data, format="json")
    assert response.status_code == 200, response.json()


def test_a_service_rule_comes_back_as_a_field_error(staff_client):
    RegionFactory()
    data = {"uscc": make_uscc(), "name": "甲", "region": "320500", "founded_on": "2020-01-01", "niche_since": 2010}
    response = staff_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert "niche_since" in response.json()


def test_messages_are_chinese_by_default(staff_client):
    RegionFactory()
    response = staff_client.post(URL, {"uscc": wrong_check_digit(make_uscc()), "name": "甲", "region": "320500"})
    assert "校验位" in response.json()["uscc"][0]


def test_english_requests_get_a_400_with_the_field_key(staff_client):
    RegionFactory()
    data = {"uscc": wrong_check_digit(make_uscc()), "name": "甲", "region": "320500"}
    response = staff_client.post(URL, data, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "uscc" in response.json()


def test_an_enterprise_can_be_looked_up_by_uscc(staff_client):
    enterprise = EnterpriseFactory()
    response = staff_client.get(f"{URL}{enterprise.uscc}/")
    assert response.status_code == 200
    assert response.json()["id"] == enterprise.pk
    assert staff_client.get(f"{URL}{enterprise.uscc.lower()}/").json()["id"] == enterprise.pk


def test_an_unknown_uscc_is_a_404(staff_client):
    assert staff_client.get(f"{URL}{make_uscc()}/").status_code == 404
    assert staff_client.get(f"{URL}ABC/").status_code == 404


def test_region_filters_by_code_prefix(staff_client):
    EnterpriseFactory(name="吴中", region=RegionFactory(code="320506", name="吴中区", level="county"))
    EnterpriseFactory(name="苏州", region=RegionFactory(code="320500"))
    EnterpriseFactory(name="南京", region=RegionFactory(code="320100", name="南京市"))
    assert sorted(names(staff_client.get(URL, {"region": "3205"}))) == ["吴中", "苏州"]
    assert names(staff_client.get(URL, {"region": "320506"})) == ["吴中"]


def test_region_id_filters_by_exact_region(staff_client):
    nanjing = RegionFactory(code="320100", name="南京市")
    EnterpriseFactory(name="苏州")
    EnterpriseFactory(name="南京", region=nanjing)
    assert names(staff_client.get(URL, {"region_id": nanjing.pk})) == ["南京"]


def test_cluster_filters_by_code_and_by_id(staff_client):
    cluster = ClusterFactory(code="biomed")
    member = EnterpriseFactory(name="成员")
    ClusterMembership.objects.create(enterprise=member, cluster=cluster)
    ClusterMembership.objects.create(enterprise=member, cluster=ClusterFactory())
    EnterpriseFactory(name="非成员")
    assert names(staff_client.get(URL, {"cluster": "biomed"})) == ["成员"]
    assert names(staff_client.get(URL, {"cluster_id": cluster.pk})) == ["成员"]


def test_an_unknown_cluster_code_is_a_400(staff_client):
    response = staff_client.get(URL, {"cluster": "no-such-cluster"})
    assert response.status_code == 400
    assert "cluster" in response.json()


def test_tier_filters_enterprises_holding_that_designation(staff_client):
    tier = TierFactory()
    DesignationFactory(enterprise=EnterpriseFactory(name="有效"), tier=tier, status="active")
    DesignationFactory(enterprise=EnterpriseFactory(name="待复核"), tier=tier, status="review_due")
    DesignationFactory(enterprise=EnterpriseFactory(name="已到期"), tier=tier, status="expired")
    DesignationFactory(enterprise=EnterpriseFactory(name="候选"), tier=tier, status="candidate", recognized_on=None)
    assert sorted(names(staff_client.get(URL, {"tier": tier.code}))) == ["待复核", "有效"]


def test_search_matches_name_and_uscc(staff_client):
    target = EnterpriseFactory(name="苏州纳米科技有限公司")
    EnterpriseFactory(name="苏州生物医药有限公司")
    assert names(staff_client.get(URL, {"search": "纳米"})) == [target.name]
    assert names(staff_client.get(URL, {"search": target.uscc[-8:]})) == [target.name]


def test_ordering_accepts_several_fields(staff_client):
    EnterpriseFactory(name="B", founded_on="2010-01-01")
    EnterpriseFactory(name="A", founded_on="2011-01-01")
    EnterpriseFactory(name="A", founded_on="2015-01-01")
    response = staff_client.get(URL, {"ordering": "name,-founded_on,id"})
    rows = [(row["name"], row["founded_on"]) for row in response.json()["results"]]
    assert rows == [("A", "2015-01-01"), ("A", "2011-01-01"), ("B", "2010-01-01")]


def test_the_page_size_is_capped(staff_client, monkeypatch):
    monkeypatch.setattr(StandardPagination, "max_page_size", 3)
    EnterpriseFactory.create_batch(5)
    response = staff_client.get(URL, {"page_size": 1000})
    assert response.json()["count"] == 5
    assert len(response.json()["results"]) == 3


def test_the_configured_maximum_page_size_is_500():
    assert StandardPagination.max_page_size == 500
