"""The Celery app. Settings come from Django's settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tidu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Heartbeat, metrics port and failure counts of every worker (tracker/observability/worker.py).
from tracker.observability.worker import WorkerObservability  # noqa: E402

app.steps["worker"].add(WorkerObservability)
