"""/health/: named checks, 503 naming the failing ones, the last nightly run's age and outcome.

Checks that read Redis are exercised against a real broker in tests/tasks/test_heartbeats.py; here
the broker is either absent (the embedded default) or unreachable."""

import datetime as dt

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from rest_framework.test import APIClient

from tracker.models import EvaluationRun
from tracker.observability import health

pytestmark = pytest.mark.django_db
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def get(query=""):
    return APIClient().get(f"/health/{query}")


def nightly(status, *, finished_hours_ago=None, started_hours_ago=1.0, error=""):
    now = timezone.now()
    return EvaluationRun.objects.create(
        kind="nightly", as_of=now.date(), fiscal_year=now.year - 1, status=status, error_message=error,
        started_at=now - dt.timedelta(hours=started_hours_ago),
        finished_at=None if finished_hours_ago is None else now - dt.timedelta(hours=finished_hours_ago),
    )


def test_it_names_every_check_and_is_ok_on_the_embedded_default(settings):
    settings.CELERY_BROKER_URL = ""
    response = get()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert [c["name"] for c in body["checks"]] == ["database", "broker", "workers", "beat", "nightly", "report"]
    assert all(c["ok"] for c in body["checks"])


def test_it_answers_503_naming_what_is_down(settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    nightly("succeeded", finished_hours_ago=2)
    response = get()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failing"] == ["broker", "workers", "beat", "report"]  # a run but no report built from it
    broker = next(c for c in body["checks"] if c["name"] == "broker")
    assert broker["detail"] == "unavailable (ConnectionError)"  # the class only: the endpoint is public
    assert next(c for c in body["checks"] if c["name"] == "nightly")["ok"]


def test_a_database_it_cannot_reach_is_named(settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = get("?checks=database")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]


def test_a_load_balancer_can_ask_for_some_checks_only(settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    response = get("?checks=database")
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["checks"]] == ["database"]


def test_an_unknown_check_is_a_400_naming_it():
    response = get("?checks=database,reports_typo")
    assert response.status_code == 400
    assert "reports_typo" in str(response.json()["checks"])


@pytest.mark.parametrize(
    ("make", "ok", "detail"),
    [
        (lambda: None, False, "no nightly run yet"),
        (lambda: nightly("succeeded", finished_hours_ago=3), True, "succeeded 3.0 h ago"),
        (lambda: nightly("succeeded", finished_hours_ago=30, started_hours_ago=31), False, "finished 30.0 h ago"),
        (lambda: nightly("failed", finished_hours_ago=1, error="分片 1–100 尝试 3 次未能完成"), False, "failed: 分片"),
        (lambda: nightly("running", started_hours_ago=0.5), True, "running for 30 min"),
        (lambda: nightly("running", started_hours_ago=27), False, "has been running for 27.0 h"),
    ],
    ids=["none yet", "recent", "too old", "failed", "running", "stuck"],
)
def test_the_nightly_check_reads_the_last_nightly_run(settings, make, ok, detail):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER  # scheduled: the nightly matters
    settings.TIDU = {**settings.TIDU, "HEALTH_NIGHTLY_MAX_AGE_HOURS": 26}
    make()
    result = health.nightly()
    assert result.ok is ok
    assert detail in result.detail


def test_a_later_manual_run_does_not_hide_a_failed_nightly(settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    nightly("failed", finished_hours_ago=2, error="boom")
    EvaluationRun.objects.create(
        kind="manual", as_of=timezone.localdate(), fiscal_year=2025, status="succeeded",
        started_at=timezone.now(), finished_at=timezone.now(),
    )
    assert not health.nightly().ok
