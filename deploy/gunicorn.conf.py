"""Gunicorn settings for Tidu's web processes (started by ``deploy/run web``).

Everything an operator may want to change comes from the environment: TIDU_WEB_BIND (default
127.0.0.1:8000, behind nginx), GUNICORN_WORKERS (default 2 × cores + 1), GUNICORN_TIMEOUT.
"""

import os
import sys
from pathlib import Path

from prometheus_client import multiprocess

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tracker.observability.logs import logging_config

bind = os.environ.get("TIDU_WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1))
# Imports of 100,000 metric rows are validated within 60 s (DESIGN §9): allow them to finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that slow memory growth never accumulates.
max_requests = 2000
max_requests_jitter = 200
# nginx on the same host sets X-Forwarded-Proto; trust it from there only.
forwarded_allow_ips = os.environ.get("TIDU_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Requests are logged by nginx, as JSON (deploy/nginx/tidu.conf). GUNICORN_ACCESSLOG=- logs them
# here too (the request line as the message of a JSON log line).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
# Gunicorn's own lines (start, worker boot and exit, timeouts) in the application's format.
_logging = logging_config(
    fmt=os.environ.get("LOG_FORMAT", "json"), level=os.environ.get("LOG_LEVEL", "INFO")
)
logconfig_dict = {
    **_logging,
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False, "qualname": "gunicorn.error"},
        # Requests are logged by nginx (as JSON, escaped); GUNICORN_ACCESSLOG=- logs them here too.
        "gunicorn.access": {
            "level": "INFO" if accesslog else "WARNING", "handlers": ["console"], "propagate": False,
            "qualname": "gunicorn.access",
        },
    },
}


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the multiprocess metrics (its counters stay summed)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
