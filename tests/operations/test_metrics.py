"""/metrics: Prometheus text with request latency by route, the pipeline's counters and the
ledger's state."""

import pytest
from django.core.management import call_command
from django.test import Client
from prometheus_client import REGISTRY

from tracker.models import EvaluationRun
from tracker.services.runs import run_start, run_sync

pytestmark = pytest.mark.django_db


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def population(db):
    devnull = open("/dev/null", "w")
    call_command("bootstrap", stdout=devnull)
    call_command("generate_demo", enterprises=60, seed=5, stdout=devnull)


def test_a_run_is_counted_and_shows_in_the_ledger_gauges(population, settings):
    settings.CELERY_BROKER_URL = ""
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 20}
    done_before = sample("tidu_chunks_total", kind="manual", outcome="done")
    written_before = sample("tidu_results_written_total", kind="manual")
    run = run_sync(run=run_start(kind="manual", dispatch=False))
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert sample("tidu_chunks_total", kind="manual", outcome="done") - done_before == 3
    assert sample("tidu_results_written_total", kind="manual") - written_before == run.changed > 0

    body = Client().get("/metrics").content.decode()
    assert 'tidu_last_run_succeeded{kind="manual"} 1.0' in body
    assert f'tidu_last_run_results_written{{kind="manual"}} {float(run.changed)}' in body
    assert 'tidu_last_run_chunks{kind="manual"} 3.0' in body
    assert "tidu_open_runs 0.0" in body
    assert "# TYPE tidu_chunk_seconds histogram" in body


def test_request_latency_is_recorded_by_route(settings):
    settings.CELERY_BROKER_URL = ""
    client = Client()
    client.get("/health/")
    body = client.get("/metrics").content.decode()
    assert 'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="health"}' in body


def test_metrics_answer_only_get():
    assert Client().post("/metrics").status_code == 405
