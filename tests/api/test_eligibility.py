"""GET /api/v1/enterprises/{id_or_uscc}/eligibility/: a stored enterprise evaluated live, nothing stored."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms
from tracker.models import EligibilityResult, Enterprise, EvaluationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise(db):
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=10, seed=2, stdout=io.StringIO())
    return Enterprise.objects.order_by("id").first()


def url(key) -> str:
    return f"/api/v1/enterprises/{key}/eligibility/"


def test_anonymous_requests_get_401(enterprise):
    assert APIClient().get(url(enterprise.pk)).status_code == 401


def test_users_without_the_view_enterprise_permission_get_403(enterprise):
    client = token_client(user_with_perms("view_eligibilityresult"))
    assert client.get(url(enterprise.pk)).status_code == 403


def test_a_stored_enterprise_is_evaluated_live_by_id_or_uscc(enterprise):
    client = token_client(user_with_perms("view_enterprise"))
    before = (EligibilityResult.objects.count(), EvaluationRun.objects.count())
    for key in (enterprise.pk, enterprise.uscc):
        response = client.get(url(key), {"as_of": "2026-05-01", "mode": "new"})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["enterprise"] == {"id": enterprise.pk, "uscc": enterprise.uscc, "name": enterprise.name}
        assert body["as_of"] == "2026-05-01" and body["mode"] == "new"
        tiers = {result["tier"] for result in body["results"]}
        assert "specialized_sme" in tiers and "chain_leader" not in tiers
        for result in body["results"]:
            assert result["fiscal_year"] == 2025
            assert result["status"] in {"eligible", "not_eligible", "insufficient_data"}
    assert (EligibilityResult.objects.count(), EvaluationRun.objects.count()) == before


def test_the_as_of_date_picks_the_ruleset_version(enterprise):
    client = token_client(user_with_perms("view_enterprise"))

    def version(as_of):
        results = client.get(url(enterprise.pk), {"as_of": as_of, "mode": "new"}).json()["results"]
        return next(r["ruleset"]["version"] for r in results if r["tier"] == "specialized_sme")

    assert version("2026-03-31") == "MIIT-2022-63-A2-R2"
    assert version("2026-04-01") == "MIIT-2026-2-A1-R2"


def test_bad_parameters_get_400_naming_them_and_unknown_enterprises_404(enterprise):
    client = token_client(user_with_perms("view_enterprise"))
    response = client.get(url(enterprise.pk), {"as_of": "2026-02-30"})
    assert response.status_code == 400 and "as_of" in response.json()
    response = client.get(url(enterprise.pk), {"mode": "sometimes"})
    assert response.status_code == 400 and "mode" in response.json()
    assert client.get(url(999999)).status_code == 404
    assert client.get(url("91320500MA1XXXXXX0")).status_code == 404
