"""/api/v1/rulesets/: the criteria as data, read-only."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms
from tracker.models import Ruleset

pytestmark = pytest.mark.django_db

URL = "/api/v1/rulesets/"


@pytest.fixture
def rulesets(db):
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    return Ruleset.objects.all()


@pytest.fixture
def client(rulesets):
    return token_client(user_with_perms("view_ruleset"))


def versions(client, **params) -> set[str]:
    response = client.get(URL, {"page_size": 500, **params})
    assert response.status_code == 200, response.json()
    return {row["version"] for row in response.json()["results"]}


def test_anonymous_requests_get_401(rulesets):
    assert APIClient().get(URL).status_code == 401
    assert APIClient().get(f"{URL}{rulesets.first().pk}/").status_code == 401


def test_users_without_the_view_permission_get_403(rulesets):
    client = token_client(user_with_perms("view_enterprise"))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{rulesets.first().pk}/").status_code == 403


def test_list_and_detail(client, rulesets):
    response = client.get(URL, {"page_size": 500})
    assert response.json()["count"] == rulesets.count()
    ruleset = rulesets.get(tier="specialized_sme", version="MIIT-2026-2-A1-R2")
    detail = client.get(f"{URL}{ruleset.pk}/").json()
    assert detail["tier"] == "specialized_sme" and detail["mode"] == ruleset.mode
    assert detail["effective_from"] == "2026-04-01" and detail["effective_to"] is None
    assert detail["status"] == "active" and detail["reference"] and detail["definition"]["id"]
    assert "jurisdiction" in detail
    review = client.get(f"{URL}{rulesets.get(tier='little_giant', version='MIIT-2026-2-A2-REVIEW').pk}/").json()
    assert (review["granted_from"], review["granted_to"]) == ("2026-04-01", None)


def test_filters(client):
    active = {"status": "active"}
    assert versions(client, tier="specialized_sme", as_of="2026-03-31", **active) == {"MIIT-2022-63-A2-R2"}
    assert versions(client, tier="specialized_sme", as_of="2026-04-01", **active) == {
        "MIIT-2026-2-A1-R2",
        "MIIT-2026-2-A1-REVIEW-R2",
    }
    assert versions(client, tier="specialized_sme", mode="review", as_of="2026-04-01", **active) == {
        "MIIT-2026-2-A1-REVIEW-R2"
    }
    assert versions(client, tier="specialized_sme", status="retired") == {
        "MIIT-2022-63-A2",
        "MIIT-2026-2-A1",
        "MIIT-2026-2-A1-REVIEW",
    }
    drafts = set(Ruleset.objects.filter(status="draft").values_list("version", flat=True))
    assert versions(client, status="draft") == drafts
    assert client.get(URL, {"as_of": "not-a-date"}).status_code == 400


def test_writes_are_not_offered(rulesets):
    client = token_client(user_with_perms("view_ruleset", "add_ruleset", "change_ruleset", "delete_ruleset"))
    ruleset = rulesets.first()
    assert client.post(URL, {}, format="json").status_code == 405
    assert client.patch(f"{URL}{ruleset.pk}/", {"status": "retired"}, format="json").status_code == 405
    assert client.delete(f"{URL}{ruleset.pk}/").status_code == 405
