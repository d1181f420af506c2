"""What a Celery worker adds for the operator: a heartbeat, its own metrics port, failure counts.

Registered on the app in ``config/celery.py``. The step runs in the worker's main process, on the
worker's own timer, so a heartbeat keeps coming while the pool processes are busy with chunks.
"""

from __future__ import annotations

import contextlib
import logging

import redis
from celery import bootsteps
from celery.exceptions import TimeLimitExceeded
from celery.signals import task_failure
from django.conf import settings

from tracker.observability import heartbeats, metrics

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 10.0  # seconds; well inside TIDU_HEARTBEAT_STALE_SECONDS


class WorkerObservability(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None
        self.server = None

    def start(self, worker):
        self.name = worker.hostname
        self._heartbeat()
        self.timer_ref = worker.timer.call_repeatedly(HEARTBEAT_EVERY, self._heartbeat, priority=10)
        port = settings.TIDU["WORKER_METRICS_PORT"]
        if port:
            if not metrics.multiprocess_dir():
                logger.warning("TIDU_WORKER_METRICS_PORT is set without PROMETHEUS_MULTIPROC_DIR: not serving metrics")
            else:
                from prometheus_client import start_http_server

                addr = settings.TIDU["WORKER_METRICS_ADDRESS"]
                self.server, _ = start_http_server(port, addr=addr, registry=metrics.worker_registry())
                logger.info("worker %s serves metrics on %s:%s", self.name, addr, port)

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
        with contextlib.suppress(redis.RedisError):
            heartbeats.forget(heartbeats.WORKERS_KEY, self.name)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def _heartbeat(self):
        try:
            heartbeats.beat(heartbeats.WORKERS_KEY, self.name)
        except redis.RedisError as exc:
            logger.warning("worker %s: no heartbeat, the broker is unreachable (%s)", self.name, type(exc).__name__)


@task_failure.connect
def count_task_failure(sender=None, task_id=None, exception=None, args=None, **kwargs):
    """Count failures Celery reports (chunk failures the task handles itself are counted there).

    A chunk killed by the hard time limit fails here, in the worker's main process: note why on the
    chunk, so that the run's error says so if the chunk never finishes."""
    name = getattr(sender, "name", "unknown").rsplit(".", 1)[-1]
    metrics.task_failures_total.labels(task=name, reason=type(exception).__name__).inc()
    if name == "process_chunk_task" and isinstance(exception, TimeLimitExceeded) and args:
        from tracker.services.runs import chunk_note_failure

        chunk_note_failure(
            chunk_id=int(args[0]), reason=f"超过硬时限（{settings.CELERY_TASK_TIME_LIMIT} 秒），工作进程被终止"
        )
