"""`python manage.py bench_preview [--tier specialized_sme]`: a draft's preview at scale.

Saves a threshold of a new draft (copied from the tier's active ruleset) through the admin's criteria
table, times the pages that follow, and the background job computing the preview on a fresh Celery
worker (use a Redis database of your own as CELERY_BROKER_URL). The draft is deleted afterwards.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tracker.bench import ruleset_preview


class Command(BaseCommand):
    help = "A draft's preview at scale: the pages after a save, and the background job (needs a broker)."

    def add_arguments(self, parser):
        parser.add_argument("--tier", default="specialized_sme")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, tier, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_preview needs PostgreSQL: the worker process must see the same database.")
        try:
            figures = ruleset_preview.measure(tier=tier, log=self.stderr.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2, default=str))
