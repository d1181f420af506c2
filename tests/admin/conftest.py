import pytest
from django.test import Client

from tests.factories import (
    AnnualMetricsFactory,
    ChainSegmentFactory,
    ClusterFactory,
    DesignationFactory,
    EnterpriseFactory,
    RegionFactory,
    TierFactory,
)
from tracker.models import Ruleset

DEFINITION = {
    "id": "root",
    "kind": "all",
    "label": {"zh": "认定标准", "en": "Standard"},
    "reference": "工信部企业〔2022〕63号",
    "children": [
        {
            "id": "c2_rd_expense",
            "kind": "test",
            "label": {"zh": "研发费用不低于100万元", "en": "R&D at least CNY 1m"},
            "reference": "附件2 条件(二)",
            "variable": "rd_expense",
            "op": "gte",
            "threshold": 1000000,
        },
        {
            "id": "c2_rd_ratio",
            "kind": "test",
            "label": {"zh": "研发费用占比不低于3%", "en": "R&D ratio at least 3%"},
            "reference": "附件2 条件(二)",
            "variable": "rd_ratio",
            "op": "gte",
            "threshold": 0.03,
        },
        {
            "id": "score",
            "kind": "score",
            "label": {"zh": "评价得分", "en": "Score"},
            "reference": "附件2 评价指标",
            "min_total": 60,
            "dimensions": [{"id": "specialization", "label": {"zh": "专业化", "en": "Specialisation"}, "min": 0}],
            "indicators": [
                {
                    "id": "main_business_share",
                    "kind": "bands",
                    "dimension": "specialization",
                    "max_points": 5,
                    "label": {"zh": "主营业务收入占比", "en": "Main business share"},
                    "reference": "专业化指标1",
                    "variable": "main_business_share",
                    "bands": [
                        {"op": "gte", "threshold": 0.8, "points": 5},
                        {"op": "gte", "threshold": 0.7, "points": 3},
                    ],
                    "otherwise": 0,
                }
            ],
        },
    ],
}


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Render admin pages without a collectstatic manifest (config/settings_test.py keeps the manifest)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def world(db):
    """One of every object the admin shows."""
    region = RegionFactory()
    tier = TierFactory()
    cluster = ClusterFactory()
    segment = ChainSegmentFactory(cluster=cluster)
    enterprise = EnterpriseFactory(region=region, vc_backed=None)
    enterprise.memberships.create(cluster=cluster, segment=segment)
    metrics = AnnualMetricsFactory(enterprise=enterprise, niche_market_share="0.125", high_tech_certified=None)
    designation = DesignationFactory(enterprise=enterprise, tier=tier)
    ruleset = Ruleset.objects.create(
        tier=tier,
        version="MIIT-2022-63",
        effective_from="2022-06-01",
        status=Ruleset.Status.ACTIVE,
        reference="工信部企业〔2022〕63号",
        definition=DEFINITION,
    )
    return {
        "region": region,
        "tier": tier,
        "cluster": cluster,
        "segment": segment,
        "enterprise": enterprise,
        "metrics": metrics,
        "designation": designation,
        "ruleset": ruleset,
    }
