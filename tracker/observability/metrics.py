"""Prometheus metrics: the pipeline's own counters, and gauges read from the ledger at scrape time.

Two kinds, on purpose:
- Events (a chunk finished, a stale chunk was swept, a task failed, a run closed) are counted where
  they happen, in the worker processes. Gunicorn and Celery's prefork pool run several processes,
  so the counters use prometheus_client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set
  (``deploy/run`` sets one directory per service). A worker serves its own on
  TIDU_WORKER_METRICS_PORT; the web's are at ``/metrics`` together with django-prometheus's request
  latency by route.
- State (the last run of each kind, open chunks, queue depth, live workers and beats) is read from
  the database and the broker when ``/metrics`` is scraped, so it is the same whichever web process
  or host answers, and right after a restart.
"""

from __future__ import annotations

import os
import time

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

# Seconds; a chunk of 5,000 enterprises takes about 1 s at 1M (docs/benchmarks.md), a run minutes.
CHUNK_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)
RUN_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)

chunk_seconds = Histogram(
    "tidu_chunk_seconds", "Time to load, evaluate and write one recompute chunk.", ["kind"], buckets=CHUNK_BUCKETS
)
chunks_total = Counter(
    "tidu_chunks", "Recompute chunks handled, by outcome (done, failed, gave_up).", ["kind", "outcome"]
)
results_written_total = Counter(
    "tidu_results_written", "Eligibility results written or deleted by the recompute.", ["kind"]
)
run_seconds = Histogram(
    "tidu_run_seconds", "Wall time of a recompute run, from start to close.", ["kind", "status"], buckets=RUN_BUCKETS
)
stale_chunks_swept_total = Counter(
    "tidu_stale_chunks_swept",
    "Chunks the sweeper found unfinished past the time limit: requeued, or given up after the attempt cap.",
    ["action"],
)
# Seconds; at a million enterprises the 14 nightly reports take well under a minute together.
REPORT_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
report_build_seconds = Histogram(
    "tidu_report_build_seconds", "Time to build one tier report (its frame and storage).", ["scope"],
    buckets=REPORT_BUCKETS,
)
task_failures_total = Counter("tidu_task_failures", "Celery tasks that failed, by task and reason.", ["task", "reason"])


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def export_registry() -> CollectorRegistry:
    """What ``/metrics`` serves: every process's counters plus the scrape-time gauges."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(StateCollector())
        return registry
    _register_state_once()
    return REGISTRY


def worker_registry() -> CollectorRegistry:
    """What a worker's own metrics port serves: the counters of its pool processes."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


_state_registered = False


def _register_state_once() -> None:
    global _state_registered
    if not _state_registered:
        REGISTRY.register(StateCollector())
        _state_registered = True


class StateCollector:
    """Gauges computed at scrape time from the run ledger and the broker."""

    def collect(self):
        yield from _last_runs()
        yield from _open_runs()
        yield from _broker()

    def describe(self):
        return []  # computed at scrape time; nothing to describe ahead of time


def _last_runs():
    from tracker.models import EvaluationRun

    finished_at = GaugeMetricFamily(
        "tidu_last_run_finished_timestamp_seconds", "When the last finished run of each kind closed.", labels=["kind"]
    )
    succeeded = GaugeMetricFamily(
        "tidu_last_run_succeeded", "1 if the last finished run of each kind succeeded, 0 if it failed.", labels=["kind"]
    )
    duration = GaugeMetricFamily(
        "tidu_last_run_duration_seconds", "Wall time of the last finished run of each kind.", labels=["kind"]
    )
    written = GaugeMetricFamily(
        "tidu_last_run_results_written", "Results the last finished run of each kind wrote.", labels=["kind"]
    )
    chunks = GaugeMetricFamily("tidu_last_run_chunks", "Chunks of the last finished run of each kind.", labels=["kind"])
    for kind in EvaluationRun.Kind.values:
        run = (
            EvaluationRun.objects.filter(kind=kind, finished_at__isnull=False)
            .order_by("-created_at")
            .only("status", "started_at", "finished_at", "changed", "chunks_total")
            .first()
        )
        if run is None:
            continue
        finished_at.add_metric([kind], run.finished_at.timestamp())
        succeeded.add_metric([kind], 1.0 if run.status == EvaluationRun.Status.SUCCEEDED else 0.0)
        if run.started_at:
            duration.add_metric([kind], (run.finished_at - run.started_at).total_seconds())
        written.add_metric([kind], run.changed)
        chunks.add_metric([kind], run.chunks_total)
    yield from (finished_at, succeeded, duration, written, chunks)


def _open_runs():
    from django.db.models import Count

    from tracker.models import EvaluationRun, RunChunk

    running = list(EvaluationRun.objects.filter(status=EvaluationRun.Status.RUNNING).values_list("pk", flat=True))
    yield GaugeMetricFamily("tidu_open_runs", "Recompute runs still running.", value=len(running))
    by_status = dict.fromkeys(RunChunk.Status.values, 0)
    if running:
        rows = RunChunk.objects.filter(run_id__in=running).values_list("status").annotate(n=Count("pk")).order_by()
        by_status.update(dict(rows))
    chunks = GaugeMetricFamily("tidu_open_run_chunks", "Chunks of running runs, by status.", labels=["status"])
    for status, n in by_status.items():
        chunks.add_metric([status], n)
    yield chunks


def _broker():
    from tracker.observability import heartbeats, queues

    client = heartbeats.broker_client()
    if client is None:
        return
    now = time.time()
    workers = heartbeats.alive(heartbeats.WORKERS_KEY, now=now)
    beats = heartbeats.alive(heartbeats.BEATS_KEY, now=now)
    yield GaugeMetricFamily("tidu_workers_alive", "Celery workers with a recent heartbeat.", value=len(workers))
    yield GaugeMetricFamily("tidu_beats_alive", "Beat processes with a recent heartbeat (1 sends).", value=len(beats))
    depth = GaugeMetricFamily("tidu_queue_depth", "Task messages waiting in the broker, by queue.", labels=["queue"])
    for queue, n in queues.depths(client).items():
        depth.add_metric([queue], n)
    yield depth
    unacked = queues.unacked(client)
    yield GaugeMetricFamily("tidu_queue_unacked", "Messages a worker holds, not yet acknowledged.", value=unacked)
