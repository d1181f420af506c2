"""The result and tier-change lists as the office reads them: the current year by default, tier changes by
near miss and by name, clusters by membership."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import DEFINITION
from tests.factories import ClusterFactory, EnterpriseFactory, TierFactory
from tracker.models import EligibilityResult, EvaluationRun, Ruleset, TierChange

pytestmark = pytest.mark.django_db
RESULTS = reverse("admin:tracker_eligibilityresult_changelist")
CHANGES = reverse("admin:tracker_tierchange_changelist")


@pytest.fixture
def tier():
    tier = TierFactory()
    Ruleset.objects.create(tier=tier, version="T", effective_from="2020-01-01", status="active", reference="t",
                           definition=DEFINITION)
    return tier


def result(enterprise, tier, year, **fields):
    fields = {"status": "not_eligible", "ruleset": Ruleset.objects.get(tier=tier), "input_hash": 0,
              "evaluated_at": timezone.now(), **fields}
    return EligibilityResult.objects.create(enterprise=enterprise, tier=tier, fiscal_year=year, **fields)


def full_run(year: int) -> EvaluationRun:
    return EvaluationRun.objects.create(kind="nightly", as_of=dt.date(year + 1, 6, 30), fiscal_year=year,
                                        status="succeeded", finished_at=timezone.now())


def shown(client, url, **params) -> set[int]:
    response = client.get(url, params)
    assert response.status_code == 200, response.get("Location")
    return {row.pk for row in response.context["cl"].result_list}


def test_results_show_the_last_full_runs_year_unless_staff_choose_another(staff_client, tier):
    enterprise = EnterpriseFactory()
    old, current = result(enterprise, tier, 2023), result(enterprise, tier, 2024)
    full_run(2024)
    assert shown(staff_client, RESULTS) == {current.pk}
    assert shown(staff_client, RESULTS, fiscal_year=2023) == {old.pk}
    page = staff_client.get(RESULTS).content.decode()
    assert "当前年度（2024）" in page


def test_a_year_that_is_no_year_shows_the_current_one_rather_than_failing(staff_client, tier):
    current = result(EnterpriseFactory(), tier, 2024)
    full_run(2024)
    assert shown(staff_client, RESULTS, fiscal_year="20x4") == {current.pk}
    assert staff_client.get(reverse("admin:tracker_annualmetrics_changelist"), {"fiscal_year": "abc"}).status_code == 200


def test_tier_changes_filter_by_whether_their_result_is_a_near_miss_now(staff_client, tier):
    close, far = EnterpriseFactory(), EnterpriseFactory()
    result(close, tier, 2024, near_miss=True)
    result(far, tier, 2024)
    changes = {
        e: TierChange.objects.create(enterprise=e, tier=tier, fiscal_year=2024, change="lost", to_status="not_eligible")
        for e in (close, far)
    }
    assert shown(staff_client, CHANGES, near_miss="1") == {changes[close].pk}
    assert shown(staff_client, CHANGES, near_miss="0") == {changes[far].pk}


def test_a_chain_leaders_change_is_a_near_miss_only_for_its_own_clusters_result(staff_client):
    leader = TierFactory(code="chain_leader", name_zh="链主企业", per_cluster=True, ladder_order=9)
    Ruleset.objects.create(tier=leader, version="T", effective_from="2020-01-01", status="active", reference="t",
                           definition=DEFINITION)
    enterprise, near, far = EnterpriseFactory(), ClusterFactory(), ClusterFactory()
    result(enterprise, leader, 2024, cluster=near, near_miss=True)
    result(enterprise, leader, 2024, cluster=far)
    changes = {c: TierChange.objects.create(enterprise=enterprise, tier=leader, fiscal_year=2024, cluster=c,
                                            change="lost", to_status="not_eligible") for c in (near, far)}
    assert shown(staff_client, CHANGES, near_miss="1") == {changes[near].pk}


def test_tier_changes_are_searched_by_name_or_uscc(staff_client, tier):
    wanted, other = EnterpriseFactory(name="苏州恒达精密有限公司"), EnterpriseFactory()
    changes = {e: TierChange.objects.create(enterprise=e, tier=tier, fiscal_year=2024, change="gained",
                                            to_status="eligible") for e in (wanted, other)}
    assert shown(staff_client, CHANGES, q="恒达") == {changes[wanted].pk}
    assert shown(staff_client, CHANGES, q=wanted.uscc) == {changes[wanted].pk}


def test_the_cluster_filter_lists_its_members_rows_and_of_a_per_cluster_tier_its_own(staff_client, tier):
    leader = TierFactory(code="chain_leader", name_zh="链主企业", per_cluster=True, ladder_order=9)
    Ruleset.objects.create(tier=leader, version="T", effective_from="2020-01-01", status="active", reference="t",
                           definition=DEFINITION)
    cluster, elsewhere = ClusterFactory(), ClusterFactory()
    member, outsider = EnterpriseFactory(), EnterpriseFactory()
    member.memberships.create(cluster=cluster)
    member.memberships.create(cluster=elsewhere)
    full_run(2024)
    sme = result(member, tier, 2024)
    own = result(member, leader, 2024, cluster=cluster)
    result(member, leader, 2024, cluster=elsewhere)
    result(outsider, tier, 2024)
    assert shown(staff_client, RESULTS, cluster=cluster.pk) == {sme.pk, own.pk}
    assert shown(staff_client, RESULTS, cluster="x") == set(
        EligibilityResult.objects.values_list("pk", flat=True)
    )


def test_a_list_sorts_only_by_the_columns_an_index_serves(staff_client, tier):
    low, high = EnterpriseFactory(), EnterpriseFactory()
    full_run(2024)
    first = result(low, tier, 2024, score=10, shortfall=0.5)
    second = result(high, tier, 2024, score=90, shortfall=0.1)
    by_score = staff_client.get(RESULTS, {"o": "-6"})  # score, highest first: not offered, not applied
    assert [r.pk for r in by_score.context["cl"].result_list] == [first.pk, second.pk]
    gaps = staff_client.get(RESULTS, {"status": "not_eligible", "o": "8"})  # the gap, closest first: served
    assert [r.pk for r in gaps.context["cl"].result_list] == [second.pk, first.pk]
