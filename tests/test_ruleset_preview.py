"""ruleset_preview: who a draft ruleset would make eligible, or not, compared with the ruleset in force."""

from datetime import date

import pytest

from tests.factories import AnnualMetricsFactory, EnterpriseFactory, RegionFactory, TierFactory
from tracker.models import Ruleset
from tracker.services.ruleset_preview import ruleset_preview

AS_OF = date(2026, 6, 1)
REVENUES = [5_000_000, 12_000_000, 15_000_000, 25_000_000, None]


def revenue_at_least(threshold: int) -> dict:
    return {
        "id": "revenue",
        "kind": "test",
        "label": {"zh": f"营业收入不低于{threshold}元", "en": f"Revenue at least CNY {threshold}"},
        "reference": "test",
        "variable": "revenue",
        "op": "gte",
        "threshold": threshold,
    }


def requires_tier(tier: str) -> dict:
    return {
        "id": "root",
        "kind": "all",
        "label": {"zh": "需先符合", "en": "Requires"},
        "reference": "test",
        "children": [
            {
                "id": "prerequisite",
                "kind": "tier",
                "label": {"zh": "前置层级", "en": "Prerequisite"},
                "reference": "test",
                "tier": tier,
                "require": "eligible",
            },
            revenue_at_least(10_000_000),
        ],
    }


@pytest.fixture
def tier(db):
    return TierFactory()


@pytest.fixture
def enterprises(db):
    """Five enterprises whose 2025 revenue is 5m, 12m, 15m, 25m and missing."""
    region = RegionFactory()
    out = {}
    for revenue in REVENUES:
        enterprise = EnterpriseFactory(region=region)
        AnnualMetricsFactory(enterprise=enterprise, fiscal_year=2025, revenue=revenue)
        out[revenue] = enterprise
    return out


def ruleset(tier, threshold: int, *, status=Ruleset.Status.ACTIVE, version="ACTIVE", definition=None) -> Ruleset:
    return Ruleset.objects.create(
        tier=tier,
        version=version,
        effective_from=date(2022, 1, 1),
        status=status,
        reference="test",
        definition=definition or revenue_at_least(threshold),
    )


def draft(tier, threshold: int = 0, **kwargs) -> Ruleset:
    return ruleset(tier, threshold, status=Ruleset.Status.DRAFT, version="DRAFT", **kwargs)


def test_it_gains_exactly_the_enterprises_between_the_two_thresholds(tier, enterprises, settings):
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 2}  # several id ranges
    ruleset(tier, 20_000_000)
    preview = ruleset_preview(draft=draft(tier, 10_000_000), as_of=AS_OF)
    assert (preview["evaluated"], preview["eligible_active"], preview["eligible_draft"]) == (5, 1, 3)
    assert (preview["gained"], preview["lost"]) == (2, 0)
    gained = {row["id"] for row in preview["examples"]["gained"]}
    assert gained == {enterprises[12_000_000].pk, enterprises[15_000_000].pk}
    assert (preview["active"], preview["draft"]) == ("ACTIVE", "DRAFT")


def test_it_loses_the_enterprises_a_raised_threshold_excludes(tier, enterprises):
    ruleset(tier, 10_000_000)
    preview = ruleset_preview(draft=draft(tier, 20_000_000), as_of=AS_OF)
    assert (preview["gained"], preview["lost"]) == (0, 2)
    lost = {row["id"] for row in preview["examples"]["lost"]}
    assert lost == {enterprises[12_000_000].pk, enterprises[15_000_000].pk}


def test_it_counts_every_eligible_enterprise_as_gained_when_no_ruleset_is_in_force(tier, enterprises):
    preview = ruleset_preview(draft=draft(tier, 10_000_000), as_of=AS_OF)
    assert preview["active"] is None
    assert (preview["eligible_active"], preview["gained"], preview["lost"]) == (0, 3, 0)


def test_it_never_counts_missing_revenue_as_eligible(tier, enterprises):
    preview = ruleset_preview(draft=draft(tier, 0), as_of=AS_OF)
    assert preview["eligible_draft"] == 4


def test_it_evaluates_only_the_first_enterprises_when_limited(tier, enterprises):
    ruleset(tier, 20_000_000)
    preview = ruleset_preview(draft=draft(tier, 10_000_000), as_of=AS_OF, limit=2)
    assert (preview["evaluated"], preview["gained"]) == (2, 1)


def test_it_resolves_tier_dependencies_with_the_rulesets_in_force(tier, enterprises):
    little_giant = TierFactory(code="little_giant", name_zh="专精特新“小巨人”企业", ladder_order=3)
    ruleset(tier, 15_000_000)  # the prerequisite: specialized_sme at 15m
    preview = ruleset_preview(draft=draft(little_giant, definition=requires_tier(tier.code)), as_of=AS_OF)
    assert preview["eligible_draft"] == 2  # 15m and 25m: the prerequisite decides, not the 10m test


def rank_at_most(rank: int) -> dict:
    return {
        "id": "rank", "kind": "test", "label": {"zh": "集群内营收排名", "en": "Rank"}, "reference": "test",
        "variable": "revenue_rank_in_cluster", "op": "lte", "threshold": rank,
    }


def test_a_per_cluster_tier_is_compared_per_membership_with_revenue_ranks(enterprises):
    from tests.factories import ChainSegmentFactory, ClusterFactory

    cluster_tier = TierFactory(code="chain_leader", name_zh="链主企业", ladder_order=9, per_cluster=True)
    cluster = ClusterFactory()
    segment = ChainSegmentFactory(cluster=cluster)
    for revenue in (12_000_000, 25_000_000):
        enterprises[revenue].memberships.create(cluster=cluster, segment=segment)
    preview = ruleset_preview(draft=draft(cluster_tier, definition=rank_at_most(1)), as_of=AS_OF)
    assert (preview["evaluated"], preview["gained"]) == (2, 1)  # one row per membership; the first in revenue
    [top] = preview["examples"]["gained"]
    assert (top["id"], top["cluster_id"]) == (enterprises[25_000_000].pk, cluster.pk)


def test_a_tier_evaluated_per_enterprise_reads_no_cluster_revenues(tier, enterprises, monkeypatch):
    from tracker.services import ruleset_preview as module

    def unread(*args, **kwargs):
        raise AssertionError("the snapshot of every member's revenue was read")

    monkeypatch.setattr(module, "ClusterRevenueRanks", unread)
    assert ruleset_preview(draft=draft(tier, 10_000_000), as_of=AS_OF)["eligible_draft"] == 3
