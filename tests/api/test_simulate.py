"""POST /api/v1/eligibility/simulate/: hypothetical facts and draft criteria in, explanations out, nothing stored."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms
from tests.eligibility_records import QUALIFIES_FOR_INNOVATIVE_METRICS
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
    body = {**sme_body("2026-04-01"), "mode": "new", "region": "320500"}
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
            "applied",
            "passed_directly",
        }
        assert result["status"] in {"eligible", "not_eligible", "insufficient_data"}
        assert result["nodes"][0]["id"]
        assert set(result["ruleset"]) == {"version", "reference", "mode", "granted_from", "granted_to"}


def test_the_as_of_date_picks_the_specialized_sme_ruleset_version(client):
    before = only_result(client.post(URL, sme_body("2026-03-31", mode="new"), format="json"))
    after = only_result(client.post(URL, sme_body("2026-04-01", mode="new"), format="json"))
    assert before["ruleset"]["version"] == "MIIT-2022-63-A2-R2"
    assert after["ruleset"]["version"] == "MIIT-2026-2-A1-R2"


def test_a_held_designation_selects_the_review_ruleset_in_auto_mode(client):
    held = {"tier": "specialized_sme", "status": "active", "recognized_on": "2024-01-01", "valid_until": "2026-12-31"}
    expired = {**held, "valid_until": "2026-03-01"}
    assert (
        only_result(client.post(URL, sme_body("2026-04-01", designations=[held]), format="json"))["ruleset"]["version"]
        == "MIIT-2026-2-A1-REVIEW-R2"
    )
    assert (
        only_result(client.post(URL, sme_body("2026-04-01", designations=[expired]), format="json"))["ruleset"][
            "version"
        ]
        == "MIIT-2026-2-A1-R2"
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
    assert response.json() == {"metrics[0].revenu": ["未知字段：该资源没有此字段，请检查拼写。"]}
    response = client.post(URL, sme_body("2026-04-01", enterprise={"founded": "2015-01-01"}), format="json")
    assert response.status_code == 400
    assert "enterprise.founded" in response.json()


def test_bad_request_fields_get_400_naming_them(client):
    response = client.post(URL, {"as_of": "2026-13-01", "mode": "sometimes", "tiers": ["nope"]}, format="json")
    assert response.status_code == 400
    assert {"as_of", "mode", "tiers[0]"} <= set(response.json())


def test_missing_data_gives_insufficient_data_with_the_facts_to_collect(client):
    body = sme_body(
        "2026-04-01", tiers=["gazelle"], region="320500", metrics=[{"fiscal_year": 2025, "revenue": 80_000_000}]
    )
    result = only_result(client.post(URL, body, format="json"))
    assert result["status"] == "insufficient_data"
    wanted = {(item["field"], item["fiscal_year"]) for item in result["gaps"]["facts_to_collect"]}
    assert ("revenue", 2024) in wanted


@pytest.mark.parametrize(
    ("metrics", "key"),
    [
        ([{"fiscal_year": 2025, "revenue": 1}, {"fiscal_year": 2024, "revenue": -1}], "metrics[1].revenue"),
        ([{"fiscal_year": 2025, "revenue": "NaN"}], "metrics[0].revenue"),
        ([{"fiscal_year": 2025, "revenue": "Infinity"}], "metrics[0].revenue"),
        ([{"fiscal_year": 2025, "revenue": 3.3e307}], "metrics[0].revenue"),
        ([{"fiscal_year": 1800, "revenue": 1}], "metrics[0].fiscal_year"),
        ([{"fiscal_year": 2025, "debt_ratio": 0.5}], "metrics[0].debt_ratio"),
        ([{"fiscal_year": 2025, "niche_market_share": 1.5}], "metrics[0].niche_market_share"),
        ([{"fiscal_year": 2025, "employees": 10, "rd_staff": 11}], "metrics[0].rd_staff"),
        ([{"fiscal_year": 2025, "distinctiveness_points": 16}], "metrics[0].distinctiveness_points"),
        ([{"fiscal_year": 2025}, {"fiscal_year": 2025}], "metrics[1].fiscal_year"),
        ([{"revenue": 1}], "metrics[0].fiscal_year"),
    ],
)
def test_the_what_if_rejects_what_the_metrics_resource_rejects_naming_the_position(client, metrics, key):
    response = client.post(URL, sme_body("2026-04-01", metrics=metrics), format="json")
    assert response.status_code == 400
    assert key in response.json(), response.json()


def test_bad_enterprise_attributes_and_designations_are_named_by_position(client):
    body = sme_body(
        "2026-04-01",
        enterprise={"listed": False, "listed_on": "2020-01-01", "sector": "mining", "niche_since": 1800},
        designations=[
            {"tier": "specialized_sme", "status": "active", "recognized_on": "2024-01-01"},
            {"tier": "little_giant", "status": "active", "recognized_on": "2024-01-01", "valid_until": "2023-01-01"},
        ],
    )
    errors = client.post(URL, body, format="json").json()
    assert {"enterprise.sector", "enterprise.niche_since", "designations[1].valid_until"} <= set(errors), errors


def test_errors_speak_the_requests_language(client):
    body = sme_body("2026-04-01", metrics=[{"fiscal_year": 2025, "revenue": -1}])
    chinese = client.post(URL, body, format="json").json()["metrics[0].revenue"][0]
    english = client.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en").json()["metrics[0].revenue"][0]
    assert "0" in chinese and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
    assert english.startswith("Ensure this value is greater than or equal to 0")


def test_every_sector_of_the_size_standard_is_accepted(client):
    for sector in ("agriculture", "real_estate_development", "information_transmission"):
        response = client.post(URL, sme_body("2026-04-01", enterprise={"sector": sector}), format="json")
        assert response.status_code == 200, response.json()


def test_a_firm_that_qualifies_for_the_innovative_title_without_holding_it_is_told_to_obtain_it(client):
    body = sme_body(
        "2026-05-01",
        tiers=["innovative_sme", "specialized_sme"],
        enterprise={"sector": "industry", "niche_since": 2020},
        metrics=QUALIFIES_FOR_INNOVATIVE_METRICS,
    )
    results = {r["tier"]: r for r in client.post(URL, body, format="json").json()["results"]}
    assert results["innovative_sme"]["status"] == "eligible"
    specialized = results["specialized_sme"]
    assert specialized["status"] == "not_eligible" and specialized["near_miss"] is True
    (step,) = specialized["gaps"]["failing"]
    assert step["id"] == "prerequisite_innovative" and step["actionable"] is True
    assert step["note"]["zh"] == "先取得创新型中小企业称号（当前已满足条件）"
    assert results["innovative_sme"]["passed_directly"] is True  # through its high-tech certificate


def test_a_re_review_says_which_standard_it_applied(client):
    held = {"tier": "little_giant", "status": "active", "recognized_on": "2023-07-01", "valid_until": "2026-12-31"}
    result = only_result(client.post(URL, sme_body("2026-05-01", tiers=["little_giant"], designations=[held]), format="json"))
    assert result["ruleset"]["version"] == "MIIT-2022-63-A3-REVIEW-2026"
    assert result["applied"] == {"mode": "review", "granted_on": "2023-07-01"}


def test_the_closest_gap_of_an_old_potential_unicorn_is_its_valuation_not_its_age(client):
    body = sme_body(
        "2025-06-30",
        tiers=["potential_unicorn"],
        enterprise={"founded_on": "2018-06-30", "listed": False, "vc_backed": True},
        metrics=[{"fiscal_year": 2024, "valuation_usd": 300_000_000, "cumulative_financing_usd": 30_000_000}],
    )
    result = only_result(client.post(URL, body, format="json"))
    (gap,) = result["gaps"]["failing"]
    assert gap["id"] == "older_valuation" and gap["actionable"] is True
    assert gap["gap"] == {"absolute": 200_000_000.0, "relative": 0.4}
    assert result["near_miss"] is False


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
