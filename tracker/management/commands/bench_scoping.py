"""`python manage.py bench_scoping [--city 320100] [--repeat 10]`: what region scoping costs a reader."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.bench.report import load, machine
from tracker.bench.scoped_reads import measure


class Command(BaseCommand):
    help = "Time the main API lists and admin changelists as a province user and as a city user."

    def add_arguments(self, parser):
        parser.add_argument("--city", default="320100", help="the city user's region code (南京市: 320100)")
        parser.add_argument("--repeat", type=int, default=10)

    def handle(self, *args, city, repeat, **options):
        if not settings.DEBUG:
            raise CommandError("run with DEBUG=1: the COUNT timings come from Django's query log")
        self.stdout.write(f"machine {machine()} · load {load()}")
        header = f"{'median ms':>9} {'max ms':>8} {'COUNT ms':>8} {'queries':>7} {'count':>9}"
        self.stdout.write(f"{'user':<16} {header}  url")
        for row in measure(city=city, repeat=repeat):
            count = "" if row["count"] is None else f"{row['count']:,}"
            figures = f"{row['median_ms']:>9} {row['max_ms']:>8} {row['count_ms']:>8} {row['queries']:>7} {count:>9}"
            self.stdout.write(f"{row['user']:<16} {figures}  {row['url']}")
        self.stdout.write(f"load {load()}")
