"""`python manage.py bench_save [--saves 6] [--worker-source DIR]`: from a save to its results.

Starts a fresh Celery worker on CELERY_BROKER_URL (use a Redis database of your own), saves the
revenue of ``--saves`` cluster members one after another through the metrics service, and prints the
seconds from each service call until its on-change run (fiscal year of today's evaluation) has committed the
results — the first is the first save that worker handles. Changes data: use a bench database.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tracker.bench import save_latency
from tracker.services.runs import default_as_of


class Command(BaseCommand):
    help = "Seconds from a metrics save to its results, through a fresh Celery worker (changes data)."

    def add_arguments(self, parser):
        parser.add_argument("--saves", type=int, default=6)
        parser.add_argument("--worker-source", type=Path, help="run the worker from this checkout instead")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, saves, worker_source, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_save needs PostgreSQL: a worker process must see the same database.")
        try:
            figures = save_latency.measure(
                saves=saves, fiscal_year=default_as_of().year - 1, worker_source=worker_source, log=self.stderr.write
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2, default=str))
