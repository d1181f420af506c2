"""/api/v1/runs/: the recompute ledger; POST starts a manual run (202)."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms
from tests.factories import EnterpriseFactory
from tracker.models import EligibilityResult, EvaluationRun
from tracker.services.runs import run_start, run_sync

pytestmark = pytest.mark.django_db

URL = "/api/v1/runs/"


@pytest.fixture
def demo(db):
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=15, seed=3, stdout=io.StringIO())


def test_anonymous_requests_get_401():
    run = run_start(kind="manual", as_of=dt.date(2026, 5, 1), dispatch=False)
    client = APIClient()
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}{run.pk}/").status_code == 401
    assert client.post(URL, {}, format="json").status_code == 401


def test_users_without_permissions_get_403():
    run = run_start(kind="manual", as_of=dt.date(2026, 5, 1), dispatch=False)
    client = token_client(user_with_perms())
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{run.pk}/").status_code == 403
    viewer = token_client(user_with_perms("view_evaluationrun"))
    assert viewer.get(URL).status_code == 200
    assert viewer.post(URL, {}, format="json").status_code == 403
    assert EvaluationRun.objects.count() == 1


def test_post_starts_a_run_that_completes_and_get_shows_it(demo, django_capture_on_commit_callbacks):
    user = user_with_perms("add_evaluationrun", "view_evaluationrun")
    client = token_client(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"as_of": "2026-05-01"}, format="json")
    assert response.status_code == 202, response.json()
    created = response.json()
    assert created["kind"] == "manual" and created["is_full"] is True
    assert created["requested_by"] == user.username
    assert created["progress"]["chunks_total"] >= 1
    detail = client.get(f"{URL}{created['id']}/").json()
    assert detail["status"] == "succeeded"
    assert detail["progress"]["chunks_done"] == detail["progress"]["chunks_total"]
    assert detail["counts"]["evaluated"] > 0 and detail["counts"]["errors"] == 0
    assert detail["finished_at"] and detail["started_at"] and detail["as_of"] == "2026-05-01"
    assert detail["fiscal_year"] == 2025
    assert EligibilityResult.objects.filter(run_id=created["id"]).exists()


def test_a_duplicate_full_trigger_returns_the_open_run(demo):
    client = token_client(user_with_perms("add_evaluationrun", "view_evaluationrun"))
    first = client.post(URL, {"as_of": "2026-05-01"}, format="json")
    second = client.post(URL, {"as_of": "2026-05-01"}, format="json")
    assert first.status_code == second.status_code == 202
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["status"] == "running"
    assert EvaluationRun.objects.count() == 1


def test_a_run_for_listed_enterprises_and_tiers(demo, django_capture_on_commit_callbacks):
    client = token_client(user_with_perms("add_evaluationrun", "view_evaluationrun"))
    one, two = EnterpriseFactory(), EnterpriseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {"as_of": "2026-05-01", "tiers": ["gazelle"], "enterprises": [str(one.pk), two.uscc.lower()]},
            format="json",
        )
    assert response.status_code == 202, response.json()
    run = EvaluationRun.objects.get(pk=response.json()["id"])
    assert run.is_full is False and run.params["tiers"] == ["gazelle"]
    assert set(EligibilityResult.objects.values_list("enterprise_id", "tier_id")) == {
        (one.pk, "gazelle"),
        (two.pk, "gazelle"),
    }


def test_bad_bodies_get_400_and_start_nothing(demo):
    client = token_client(user_with_perms("add_evaluationrun", "view_evaluationrun"))
    response = client.post(URL, {"enterprises": ["999999", "91320500MA1XXXXXX0"]}, format="json")
    assert response.status_code == 400
    assert "999999" in response.json()["enterprises"][0]
    response = client.post(URL, {"tiers": ["nope"], "as_of": "yesterday"}, format="json")
    assert response.status_code == 400
    assert {"tiers", "as_of"} <= set(response.json())
    assert not EvaluationRun.objects.exists()


@pytest.mark.parametrize("as_of", ["9999-12-31", "1800-01-01"])
def test_a_run_for_an_implausible_date_is_a_400_naming_as_of(demo, as_of):
    client = token_client(user_with_perms("add_evaluationrun", "view_evaluationrun"))
    response = client.post(URL, {"as_of": as_of}, format="json")
    assert response.status_code == 400
    assert "评价基准日" in response.json()["as_of"][0] and as_of in response.json()["as_of"][0]
    assert not EvaluationRun.objects.exists()


def test_recompute_refuses_an_implausible_as_of_before_forgetting_anything(demo):
    run_sync(run=run_start(kind="manual", dispatch=False))
    results = EligibilityResult.objects.count()
    with pytest.raises(CommandError, match="评价基准日"):
        call_command("recompute", "--as-of", "9999-12-31", "--rebuild", stdout=io.StringIO())
    assert EligibilityResult.objects.count() == results > 0
    assert EvaluationRun.objects.count() == 1


def test_the_list_filters_by_kind_and_status():
    manual = run_start(kind="manual", as_of=dt.date(2026, 5, 1), dispatch=False)  # no enterprises: succeeded
    nightly = EvaluationRun.objects.create(kind="nightly", as_of=dt.date(2026, 5, 2), fiscal_year=2025)
    client = token_client(user_with_perms("view_evaluationrun"))

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {manual.pk, nightly.pk}
    assert ids(kind="nightly") == {nightly.pk}
    assert ids(status="succeeded") == {manual.pk}
    assert ids(status="pending", kind="manual") == set()
    assert client.get(URL, {"status": "bogus"}).status_code == 400
