"""The health checks behind ``/health/``: a list of named checks, each saying ok or what is wrong.

To watch something new (the nightly report, say), write a function returning a ``CheckResult``
and add it to ``CHECKS``. A check must be cheap (it runs on every probe) and must not raise: an
exception is reported as that check failing, by its class name only (the endpoint is public).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tracker.observability import heartbeats


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], CheckResult]


def tasks_in_process() -> bool:
    """No broker: the embedded default, where tasks run inside the request and nothing is scheduled."""
    return not settings.CELERY_BROKER_URL


def database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return CheckResult(True, "ok")


def broker() -> CheckResult:
    client = heartbeats.broker_client()
    if client is None:
        return CheckResult(True, "none configured: tasks run in-process")
    client.ping()
    return CheckResult(True, "ok")


def workers() -> CheckResult:
    if tasks_in_process():
        return CheckResult(True, "in-process")
    alive = heartbeats.alive(heartbeats.WORKERS_KEY)
    if not alive:
        return CheckResult(False, f"no worker has reported in the last {heartbeats.stale_after():.0f} s", {"alive": 0})
    return CheckResult(True, f"{len(alive)} alive", {"alive": len(alive), "names": alive})


def beat() -> CheckResult:
    """Exactly one beat sends the schedules; others wait on the lease as standbys."""
    if tasks_in_process():
        return CheckResult(True, "not used: no broker, nothing is scheduled")
    alive = heartbeats.alive(heartbeats.BEATS_KEY)
    holder = heartbeats.beat_lease_holder()
    data = {"alive": len(alive), "active": holder}
    if not alive or holder not in alive:
        return CheckResult(False, f"no beat has reported in the last {heartbeats.stale_after():.0f} s", data)
    if len(alive) > 1:
        return CheckResult(True, f"active {holder}, {len(alive) - 1} standby", data)
    return CheckResult(True, f"active {holder}", data)


def nightly() -> CheckResult:
    """The last nightly run: failed, running too long, or finished too long ago is a failure."""
    from tracker.models import EvaluationRun

    if tasks_in_process():
        return CheckResult(True, "not scheduled: no broker")
    max_age = dt.timedelta(hours=settings.TIDU["HEALTH_NIGHTLY_MAX_AGE_HOURS"])
    run = EvaluationRun.objects.filter(kind=EvaluationRun.Kind.NIGHTLY).order_by("-created_at").first()
    if run is None:
        return CheckResult(False, "no nightly run yet")
    now = timezone.now()
    data = {"run": run.pk, "status": run.status, "as_of": run.as_of.isoformat()}
    if run.status == EvaluationRun.Status.FAILED:
        return CheckResult(False, f"run #{run.pk} failed: {run.error_message[:300]}", data)
    if run.finished_at is None:
        running_for = now - (run.started_at or run.created_at)
        data["running_seconds"] = round(running_for.total_seconds())
        if running_for > max_age:
            return CheckResult(False, f"run #{run.pk} has been running for {_hours(running_for)}", data)
        return CheckResult(True, f"run #{run.pk} running for {_hours(running_for)}", data)
    age = now - run.finished_at
    data["age_seconds"] = round(age.total_seconds())
    if age > max_age:
        return CheckResult(False, f"last nightly run #{run.pk} finished {_hours(age)} ago", data)
    return CheckResult(True, f"run #{run.pk} succeeded {_hours(age)} ago, {run.changed} results written", data)


def report() -> CheckResult:
    """The last nightly tier report: missing, built from a previous run's results (stale), or built
    too long ago is a failure."""
    from tracker.models import TierReport

    if tasks_in_process():
        return CheckResult(True, "not scheduled: no broker")
    last = TierReport.objects.filter(nightly=True).order_by("-report_date", "-built_at").first()
    if last is None:
        return CheckResult(False, "no nightly report yet")
    age = timezone.now() - last.built_at
    data = {"report_date": last.report_date.isoformat(), "stale": last.stale, "age_seconds": round(age.total_seconds()),
            "build_seconds": last.build_seconds}
    if age > dt.timedelta(hours=settings.TIDU["HEALTH_REPORT_MAX_AGE_HOURS"]):
        return CheckResult(False, f"last nightly report ({last.report_date}) was built {_hours(age)} ago", data)
    if last.stale:
        return CheckResult(False, f"the {last.report_date} reports show the previous run's results", data)
    return CheckResult(True, f"{last.report_date} built {_hours(age)} ago", data)


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"


CHECKS: list[Check] = [
    Check("database", database),
    Check("broker", broker),
    Check("workers", workers),
    Check("beat", beat),
    Check("nightly", nightly),
    Check("report", report),
]


def check_names() -> list[str]:
    return [c.name for c in CHECKS]


def health_report(*, only: list[str] | None = None) -> tuple[bool, list[dict]]:
    """Run the checks (all, or the ones named) and return (all ok, one entry per check)."""
    entries = []
    for check in CHECKS:
        if only and check.name not in only:
            continue
        try:
            result = check.run()
        except Exception as exc:  # a check that cannot run has failed; say which and why, briefly
            result = CheckResult(False, f"unavailable ({type(exc).__name__})")
        entries.append({"name": check.name, "ok": result.ok, "detail": result.detail, **result.data})
    return all(e["ok"] for e in entries), entries
