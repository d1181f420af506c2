"""From a save to its results: a fresh Celery worker, then K metric saves through the service, each
timed until the on-change run it queued has committed its results.

The worker is a real `celery worker` subprocess (prefork, one process, the settings' broker), started
for the measurement so that the first save is the first one it handles; it is stopped afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from tracker.models import AnnualMetrics, ClusterMembership, EvaluationRun
from tracker.services.metrics import metrics_update

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def measure(*, saves: int, fiscal_year: int, worker_source: Path | None = None, log=print) -> dict:
    """Save ``saves`` members' revenue one after the other; seconds from each service call to its
    results. ``worker_source`` runs the worker from another checkout (a before/after comparison)."""
    if not settings.CELERY_BROKER_URL:
        raise RuntimeError("set CELERY_BROKER_URL (a Redis database of your own): the worker takes the runs from it")
    members = ClusterMembership.objects.filter(
        enterprise__metrics__fiscal_year=fiscal_year, enterprise__metrics__revenue__isnull=False
    ).order_by("enterprise_id").values_list("enterprise_id", flat=True).distinct()
    step = max(1, members.count() // (saves + 1))
    enterprise_ids = [members[step * (i + 1)] for i in range(saves)]  # spread over the id range
    worker = _start_worker(worker_source or ROOT, log=log)
    try:
        figures = [_save_and_wait(enterprise_id, fiscal_year) for enterprise_id in enterprise_ids]
    finally:
        _stop_worker(worker)
    for i, figure in enumerate(figures):
        log(f"  save {i + 1}: {figure['seconds']:.3f} s to visible (worker chunk {figure['chunk_seconds']:.3f} s)")
    return {"saves": figures, "worker_source": str(worker_source or ROOT)}


def _save_and_wait(enterprise_id: int, fiscal_year: int, *, timeout: float = 120.0) -> dict:
    last = EvaluationRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    metrics = AnnualMetrics.objects.get(enterprise_id=enterprise_id, fiscal_year=fiscal_year)
    started = time.perf_counter()
    metrics_update(metrics=metrics, revenue=(metrics.revenue * Decimal("1.01")).quantize(Decimal("0.01")))
    while time.perf_counter() - started < timeout:
        run = EvaluationRun.objects.filter(pk__gt=last, kind=EvaluationRun.Kind.ON_CHANGE).order_by("pk").first()
        if run is not None and run.status == EvaluationRun.Status.SUCCEEDED:
            seconds = time.perf_counter() - started
            return {"enterprise_id": enterprise_id, "seconds": seconds, "run_id": run.pk,
                    "chunk_seconds": sum((run.timings or {}).values()), "timings": run.timings}
        time.sleep(0.01)
    raise RuntimeError(f"the on-change run for enterprise {enterprise_id} did not finish in {timeout:.0f} s")


def _start_worker(source: Path, *, log) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    output = tempfile.NamedTemporaryFile(prefix="bench-save-worker-", suffix=".log", delete=False)  # noqa: SIM115
    log(f"  worker log: {output.name}")
    # A fixed argument list (no shell) with our own interpreter's celery.
    process = subprocess.Popen(  # noqa: S603
        [CELERY, "-A", "config", "worker", "--pool", "prefork", "-c", "1", "--loglevel", "INFO",
         "-n", f"bench-save-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=source, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
    )
    began = time.perf_counter()
    while b" ready." not in Path(output.name).read_bytes():  # the worker says when it takes tasks
        if process.poll() is not None or time.perf_counter() - began > 300:
            raise RuntimeError(f"the worker did not get ready: see {output.name}")
        time.sleep(0.2)
    log(f"  worker ready in {time.perf_counter() - began:.1f} s")
    return process


def _stop_worker(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
