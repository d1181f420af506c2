"""The nightly chain with real parts: a nightly run closes in a `celery worker` → the night's reports
are built by the worker → the opted-in users get their notice (the file email backend, in the worker)."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from tests.factories import UserFactory, give_office
from tests.tasks.conftest import AS_OF
from tests.tasks.test_pipeline_workers import broker, postgres, start_worker, wait_for_run  # noqa: F401
from tracker.models import EvaluationRun, TierReport
from tracker.services.reports import report_subscribe
from tracker.services.runs import run_start

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, *, timeout: float, what: str, workers=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    logs = "\n".join(f"--- {w.name}\n{w.log()}" for w in workers)
    raise AssertionError(f"{what} did not happen in {timeout} s\n{logs}")


def test_a_nightly_run_completed_by_a_worker_yields_the_reports_and_the_notices(
    postgres, start_worker, tmp_path, monkeypatch  # noqa: F811
):
    call_command("bootstrap", verbosity=0, stdout=open("/dev/null", "w"))
    call_command("generate_demo", enterprises=300, seed=3, stdout=open("/dev/null", "w"))
    suzhou = UserFactory(username="suzhou", email="suzhou@example.cn")
    give_office(suzhou, "320500")
    report_subscribe(user=suzhou)
    outbox = tmp_path / "mail"
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(outbox))
    worker = start_worker("reports")
    run = wait_for_run(run_start(kind="nightly", as_of=AS_OF).pk, timeout=180, workers=[worker])
    assert run.status == EvaluationRun.Status.SUCCEEDED
    wait_for(lambda: TierReport.objects.filter(report_date=AS_OF).count() == 14, timeout=180,
             what="14 reports", workers=[worker])
    reports = TierReport.objects.filter(report_date=AS_OF)
    assert all(r.nightly and not r.stale and r.run_id == run.pk and r.data_date == AS_OF for r in reports)
    wait_for(lambda: outbox.exists() and any(outbox.iterdir()), timeout=60, what="the notice", workers=[worker])
    sent = "\n".join(path.read_text(errors="replace") for path in outbox.iterdir())
    assert "suzhou@example.cn" in sent
    report = reports.get(region__code="320500")
    assert f"/tierreport/{report.pk}/" in sent
