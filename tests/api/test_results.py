"""/api/v1/results/, /api/v1/gaps/ and /api/v1/enterprises/{id_or_uscc}/results/: stored verdicts."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms
from tracker.models import ClusterMembership, EligibilityResult, Enterprise
from tracker.services.runs import run_start, run_sync

pytestmark = pytest.mark.django_db

RESULTS = "/api/v1/results/"
GAPS = "/api/v1/gaps/"


@pytest.fixture
def results(db):
    """40 demo enterprises evaluated on 2026-05-01 (fiscal year 2025)."""
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=40, seed=5, stdout=io.StringIO())
    run_sync(run=run_start(kind="manual", as_of=dt.date(2026, 5, 1), dispatch=False))
    assert EligibilityResult.objects.filter(status="not_eligible").count() > 60


@pytest.fixture
def client(results):
    return token_client(user_with_perms("view_eligibilityresult"))


def rows(client, url, **params) -> list[dict]:
    response = client.get(url, {"page_size": 500, **params})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_anonymous_requests_get_401(results):
    result = EligibilityResult.objects.first()
    enterprise = result.enterprise
    for url in (RESULTS, f"{RESULTS}{result.pk}/", GAPS, f"/api/v1/enterprises/{enterprise.pk}/results/"):
        assert APIClient().get(url).status_code == 401, url


def test_users_without_the_view_permission_get_403(results):
    result = EligibilityResult.objects.first()
    client = token_client(user_with_perms("view_enterprise"))
    for url in (RESULTS, f"{RESULTS}{result.pk}/", GAPS, f"/api/v1/enterprises/{result.enterprise_id}/results/"):
        assert client.get(url).status_code == 403, url


def test_the_list_shows_every_result_of_the_latest_year(client):
    listed = rows(client, RESULTS)
    assert len(listed) == EligibilityResult.objects.filter(fiscal_year=2025).count()
    row = listed[0]
    assert set(row) == {
        "id",
        "enterprise",
        "tier",
        "fiscal_year",
        "cluster",
        "status",
        "score",
        "failing_count",
        "shortfall",
        "near_miss",
        "ruleset_version",
        "evaluated_at",
    }
    assert set(row["enterprise"]) == {"id", "uscc", "name"}
    stored = EligibilityResult.objects.select_related("ruleset").get(pk=row["id"])
    assert row["ruleset_version"] == stored.ruleset.version and row["tier"] == stored.tier_id
    chain = rows(client, RESULTS, tier="chain_leader")
    assert chain and all(row["cluster"] for row in chain)
    assert rows(client, RESULTS, fiscal_year=2020) == []


def test_filters(client):
    def same(listed, queryset):
        assert {row["id"] for row in listed} == set(queryset.values_list("pk", flat=True))

    base = EligibilityResult.objects.filter(fiscal_year=2025)
    same(
        rows(client, RESULTS, tier="gazelle", status="not_eligible"), base.filter(tier="gazelle", status="not_eligible")
    )
    same(rows(client, RESULTS, near_miss="true"), base.filter(near_miss=True))
    enterprise = Enterprise.objects.select_related("region").first()
    same(rows(client, RESULTS, enterprise=enterprise.uscc), base.filter(enterprise=enterprise))
    same(rows(client, RESULTS, enterprise=str(enterprise.pk)), base.filter(enterprise=enterprise))
    prefix = enterprise.region.code[:4]
    same(rows(client, RESULTS, region=prefix), base.filter(enterprise__region__code__startswith=prefix))
    cluster = ClusterMembership.objects.select_related("cluster").first().cluster
    same(rows(client, RESULTS, cluster=cluster.code), base.filter(cluster=cluster))
    assert client.get(RESULTS, {"status": "bogus"}).status_code == 400
    assert client.get(RESULTS, {"tier": "bogus"}).status_code == 400


def test_ordering_by_shortfall(client):
    listed = rows(client, RESULTS, status="not_eligible", ordering="-shortfall")
    shortfalls = [row["shortfall"] for row in listed]
    assert shortfalls == sorted(shortfalls, reverse=True)


def test_the_detail_includes_the_explanation(client):
    result = EligibilityResult.objects.filter(status="not_eligible").exclude(tier="chain_leader").first()
    response = client.get(f"{RESULTS}{result.pk}/")
    assert response.status_code == 200, response.json()
    explanation = response.json()["explanation"]
    assert explanation["tier"] == result.tier_id and explanation["status"] == result.status
    assert explanation["nodes"][0]["id"] and "failing" in explanation["gaps"]
    chain = EligibilityResult.objects.filter(tier="chain_leader").first()
    assert client.get(f"{RESULTS}{chain.pk}/").json()["explanation"]["status"] == chain.status


def test_gaps_list_not_eligible_results_closest_first_with_their_failing_criteria(client):
    listed = rows(client, GAPS)
    assert len(listed) == EligibilityResult.objects.filter(fiscal_year=2025, status="not_eligible").count()
    keys = [(row["shortfall"], row["failing_count"]) for row in listed]
    assert keys == sorted(keys)
    for row in listed:
        assert row["status"] == "not_eligible"
        assert row["failing"], row
        for item in row["failing"]:
            assert item["id"] and item["label"]["zh"] and item["kind"] in {"test", "tier", "score", "not"}
    near = rows(client, GAPS, near_miss="true", tier="specialized_sme")
    assert all(row["near_miss"] and row["tier"] == "specialized_sme" for row in near)


def test_a_gap_row_names_the_failing_tests_of_the_explanation(client):
    result = EligibilityResult.objects.filter(status="not_eligible", tier="gazelle").first()
    row = next(row for row in rows(client, GAPS, tier="gazelle") if row["id"] == result.pk)
    explanation = client.get(f"{RESULTS}{result.pk}/").json()["explanation"]
    failed_tests = {n["id"] for n in explanation["nodes"] if n["kind"] == "test" and n["outcome"] == "failed"}
    assert {item["id"] for item in row["failing"]} == failed_tests


def count_queries(client, url: str, page_size: int) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(context.captured_queries)


@pytest.mark.parametrize("url", [RESULTS, GAPS])
def test_list_query_count_does_not_grow_with_the_page_size(client, url):
    count_queries(client, url, 1)
    assert count_queries(client, url, 5) == count_queries(client, url, 50)


def test_an_ad_hoc_run_for_another_date_does_not_change_what_everyone_sees(client):
    before = rows(client, RESULTS)
    some = list(Enterprise.objects.values_list("pk", flat=True)[:3])
    next_year = dt.date(timezone.localdate().year + 1, 1, 1)  # the latest a run may take is a year ahead
    run_sync(run=run_start(kind="manual", as_of=next_year, enterprise_ids=some, dispatch=False))
    assert EligibilityResult.objects.filter(fiscal_year=next_year.year - 1).exists()
    assert rows(client, RESULTS) == before
    assert {row["fiscal_year"] for row in rows(client, GAPS)} == {2025}


def test_an_enterprises_results_default_to_the_current_year(client):
    enterprise = Enterprise.objects.filter(memberships__isnull=False).first()
    expected = EligibilityResult.objects.filter(enterprise=enterprise, fiscal_year=2025).count()
    for key in (enterprise.pk, enterprise.uscc):
        response = client.get(f"/api/v1/enterprises/{key}/results/")
        assert response.status_code == 200, response.json()
        assert len(response.json()) == expected
        assert {row["enterprise"]["id"] for row in response.json()} == {enterprise.pk}
    assert "chain_leader" in {row["tier"] for row in response.json()}
    assert client.get(f"/api/v1/enterprises/{enterprise.pk}/results/", {"fiscal_year": 2019}).json() == []
    assert client.get(f"/api/v1/enterprises/{enterprise.pk}/results/", {"fiscal_year": "x"}).status_code == 400
    assert client.get("/api/v1/enterprises/999999/results/").status_code == 404
