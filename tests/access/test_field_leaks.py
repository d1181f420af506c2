"""A reader never sees a fact they may not read: metric values stay out of explanations for users
without `tracker.view_annualmetrics`, and a chain leader's explanation carries its rank in the cluster,
never the revenues of other cities' members."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.api.conftest import token_client, user_with_perms
from tracker.models import AnnualMetrics, ClusterMembership, EligibilityResult, Enterprise
from tracker.services.runs import run_start, run_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(db):
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=60, seed=7, stdout=io.StringIO())
    run_sync(run=run_start(kind="manual", as_of=dt.date(2026, 5, 1), dispatch=False))


def values(tree) -> list:
    """Every value carried under a "value" key, anywhere in an explanation."""
    found = []
    if isinstance(tree, dict):
        found += [v for k, v in tree.items() if k == "value"]
        for item in tree.values():
            found += values(item)
    elif isinstance(tree, list):
        for item in tree:
            found += values(item)
    return found


def test_live_eligibility_shows_metric_values_only_to_readers_of_metrics(evaluated):
    enterprise = Enterprise.objects.filter(metrics__isnull=False).first()
    url = f"/api/v1/enterprises/{enterprise.pk}/eligibility/"
    full = token_client(user_with_perms("view_enterprise", "view_annualmetrics")).get(url, {"as_of": "2026-05-01"})
    bare = token_client(user_with_perms("view_enterprise")).get(url, {"as_of": "2026-05-01"})
    assert full.status_code == bare.status_code == 200
    assert all(not result["facts_redacted"] for result in full.json()["results"])
    assert any(v is not None for result in full.json()["results"] for v in values(result))
    for result in bare.json()["results"]:
        assert result["facts_redacted"] is True
        assert values(result) == [] and "inputs" not in json.dumps(result) and '"gap"' not in json.dumps(result)
        assert all("outcome" in node for node in result["nodes"])
    revenue = str(int(AnnualMetrics.objects.filter(enterprise=enterprise, revenue__isnull=False).first().revenue))
    assert revenue not in bare.content.decode()


def test_a_stored_results_explanation_follows_the_same_rule(evaluated):
    result = EligibilityResult.objects.exclude(tier="chain_leader").filter(status="not_eligible").first()
    bare = token_client(user_with_perms("view_eligibilityresult")).get(f"/api/v1/results/{result.pk}/").json()
    full = token_client(user_with_perms("view_eligibilityresult", "view_annualmetrics")).get(
        f"/api/v1/results/{result.pk}/"
    ).json()
    assert bare["explanation"]["facts_redacted"] and values(bare["explanation"]) == []
    assert not full["explanation"]["facts_redacted"] and values(full["explanation"])


def test_the_admin_result_page_hides_values_from_users_who_may_not_read_metrics(evaluated):
    result = EligibilityResult.objects.exclude(tier="chain_leader").filter(status="not_eligible").first()
    user = user_with_perms("view_eligibilityresult")
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    page = client.get(reverse("admin:tracker_eligibilityresult_change", args=[result.pk])).content.decode()
    assert "您没有查看年度指标的权限" in page


def test_a_city_user_sees_a_chain_leaders_rank_and_no_other_citys_revenue(evaluated):
    result = next(
        r for r in EligibilityResult.objects.filter(tier="chain_leader").select_related("enterprise__region")
        if ClusterMembership.objects.filter(cluster=r.cluster_id)
        .exclude(enterprise__region__code__startswith=r.enterprise.region.code[:4]).exists()
    )
    city = result.enterprise.region.code
    client = token_client(user_with_perms("view_eligibilityresult", "view_annualmetrics", region=city))
    response = client.get(f"/api/v1/results/{result.pk}/")
    assert response.status_code == 200, response.json()
    explanation = response.json()["explanation"]
    (rank,) = [n for n in explanation["nodes"] if n.get("variable") == "revenue_rank_in_cluster"]
    assert isinstance(rank["value"], int | float) and rank["value"] >= 1
    others = AnnualMetrics.objects.filter(
        fiscal_year=result.fiscal_year,
        revenue__isnull=False,
        enterprise__memberships__cluster=result.cluster_id,
    ).exclude(enterprise__region__code__startswith=city[:4])
    shown = {float(v) for v in values(explanation) if isinstance(v, int | float)}
    assert others.exists() and not shown & {float(m.revenue) for m in others}
    # another city's chain-leader result is not found
    elsewhere = EligibilityResult.objects.filter(tier="chain_leader").exclude(
        enterprise__region__code__startswith=city[:4]).first()
    assert client.get(f"/api/v1/results/{elsewhere.pk}/").status_code == 404


def test_an_enterprises_designations_need_the_permission_to_view_designations(db):
    from tests.factories import DesignationFactory

    designation = DesignationFactory()
    url = f"/api/v1/enterprises/{designation.enterprise_id}/"
    bare = token_client(user_with_perms("view_enterprise")).get(url).json()
    full = token_client(user_with_perms("view_enterprise", "view_designation")).get(url).json()
    assert bare["designations"] is None
    assert [d["id"] for d in full["designations"]] == [designation.pk]
    listed = token_client(user_with_perms("view_enterprise")).get("/api/v1/enterprises/").json()["results"]
    assert all(row["designations"] is None for row in listed)
