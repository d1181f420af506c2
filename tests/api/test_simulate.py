"""POST /api/v1/eligibility/simulate/: hypothetical facts and draft criteria in, explanations out, nothing stored."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms
from tracker.models import EligibilityResult, EvaluationRun, TierChange

pytestmark = pytest.mark.django_db

URL = "/api/v1/eligibility/simulate/"


@pytest.fixture
def rulesets(db):
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())


@pytest.fixture
def client(rulesets):
    return token_client(user_with_perms("view_enterprise"))


def revenue_rule(threshold: float, node_id: str = "revenue_floor", variable: str = "revenue") -> dict:
    return {
        "id": node_id,
        "kind": "test",
        "label": {"zh": "营业收入门槛", "en": "Revenue floor"},
        "reference": "test",
        "variable": variable,
        "op": "gte",
        "threshold": threshold,
    }


def sme_body(as_of: str, **extra) -> dict:
    return {
        "as_of": as_of,
        "tiers": ["specialized_sme"],
        "enterprise": {"founded_on": "2015-06-01", "sector": "industry", "listed": False},
        "metrics": [
            {"fiscal_year": 2024, "revenue": 60_000_000, "rd_expense": 3_000_000, "employees": 150},
            {"fiscal_year": 2025, "revenue": 80_000_000, "rd_expense": 5_000_000, "employees": 160},
        ],
        **extra,
    }


def only_result(response) -> dict:
    assert response.status_code == 200, response.json()
    (result,) = response.json()["results"]
    return result


def test_anonymous_requests_get_401(rulesets):
    assert APIClient().post(URL, sme_body("2026-04-01"), format="json").status_code == 401


def test_users_without_the_view_enterprise_permission_get_403(rulesets):
    client = token_client(user_with_perms("view_eligibilityresult"))
    assert client.post(URL, sme_body("2026-04-01"), format="json").status_code == 403


def test_every_tier_is_explained_when_none_is_named(client):
    body = {**sme_body("2026-04-01"), "mode": "new"}
    body.pop("tiers")
    response = client.post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert {"specialized_sme", "innovative_sme", "little_giant", "gazelle"} <= {r["tier"] for r in results}
    for result in results:
        assert set(result) >= {
            "tier",
            "ruleset",
            "status",
            "score",
            "failing_count",
            "shortfall",
            "near_miss",
            "nodes",
            "gaps",
        }
        assert result["status"] in {"eligible", "not_eligible", "insufficient_data"}
        assert result["nodes"][0]["id"] and set(result["ruleset"]) == {"version", "reference"}


def test_the_as_of_date_picks_the_specialized_sme_ruleset_version(client):
    before = only_result(client.post(URL, sme_body("2026-03-31", mode="new"), format="json"))
    after = only_result(client.post(URL, sme_body("2026-04-01", mode="new"), format="json"))
    assert before["ruleset"]["version"] == "MIIT-2022-63-A2"
    assert after["ruleset"]["version"] == "MIIT-2026-2-A1"


def test_a_held_designation_selects_the_review_ruleset_in_auto_mode(client):
    held = {"tier": "specialized_sme", "status": "active", "recognized_on": "2024-01-01", "valid_until": "2026-12-31"}
    expired = {**held, "valid_until": "2026-03-01"}
    assert (
        only_result(client.post(URL, sme_body("2026-04-01", designations=[held]), format="json"))["ruleset"]["version"]
        == "MIIT-2026-2-A1-REVIEW"
    )
    assert (
        only_result(client.post(URL, sme_body("2026-04-01", designations=[expired]), format="json"))["ruleset"][
            "version"
        ]
        == "MIIT-2026-2-A1"
    )


def test_a_draft_override_lowering_a_threshold_changes_the_verdict(client):
    strict = sme_body("2026-04-01", tiers=["gazelle"], rulesets={"gazelle": revenue_rule(100_000_000)})
    lenient = sme_body("2026-04-01", tiers=["gazelle"], rulesets={"gazelle": revenue_rule(50_000_000)})
    failing = only_result(client.post(URL, strict, format="json"))
    assert failing["status"] == "not_eligible"
    assert failing["ruleset"]["version"] == "draft"
    assert [item["id"] for item in failing["gaps"]["failing"]] == ["revenue_floor"]
    assert only_result(client.post(URL, lenient, format="json"))["status"] == "eligible"


def test_a_bad_override_gets_400_naming_the_node(client):
    body = sme_body("2026-04-01", rulesets={"gazelle": revenue_rule(1, node_id="bad_node", variable="revenu")})
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert 'node "bad_node"' in response.json()["rulesets"][0]


def test_an_override_for_an_unknown_tier_gets_400(client):
    response = client.post(URL, sme_body("2026-04-01", rulesets={"no_such_tier": revenue_rule(1)}), format="json")
    assert response.status_code == 400
    assert "no_such_tier" in response.json()["rulesets"][0]


def test_an_unknown_fact_field_gets_400_naming_it(client):
    body = sme_body("2026-04-01", metrics=[{"fiscal_year": 2025, "revenu": 1}])
    response = client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "revenu" in response.json()
    response = client.post(URL, sme_body("2026-04-01", enterprise={"founded": "2015-01-01"}), format="json")
    assert response.status_code == 400
    assert "founded" in response.json()


def test_bad_request_fields_get_400_naming_them(client):
    response = client.post(URL, {"as_of": "2026-13-01", "mode": "sometimes", "tiers": ["nope"]}, format="json")
    assert response.status_code == 400
    assert {"as_of", "mode", "tiers"} <= set(response.json())


def test_missing_data_gives_insufficient_data_with_the_facts_to_collect(client):
    body = sme_body("2026-04-01", tiers=["gazelle"], metrics=[{"fiscal_year": 2025, "revenue": 80_000_000}])
    result = only_result(client.post(URL, body, format="json"))
    assert result["status"] == "insufficient_data"
    wanted = {(item["field"], item["fiscal_year"]) for item in result["gaps"]["facts_to_collect"]}
    assert ("revenue", 2024) in wanted


def test_nothing_is_stored(client):
    before = (EligibilityResult.objects.count(), EvaluationRun.objects.count(), TierChange.objects.count())
    body = sme_body("2026-04-01", rulesets={"gazelle": revenue_rule(1)})
    body.pop("tiers")
    assert client.post(URL, body, format="json").status_code == 200
    assert (EligibilityResult.objects.count(), EvaluationRun.objects.count(), TierChange.objects.count()) == before


def test_the_schema_documents_request_and_response():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"][URL]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    components = schema["components"]["schemas"]
    assert {"as_of", "mode", "tiers", "region", "enterprise", "metrics", "designations", "rulesets"} <= set(
        components[request]["properties"]
    )
    tier_result = components[response]["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[1]
    assert {"tier", "status", "score", "failing_count", "shortfall", "near_miss", "ruleset", "nodes", "gaps"} <= set(
        components[tier_result]["properties"]
    )
    assert {"400", "401", "403"} <= set(operation["responses"])
