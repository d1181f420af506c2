"""`python manage.py bench_scoping [--city 320100] [--repeat 10]`: what region scoping costs a reader."""

from django.core.management.base import BaseCommand

from tracker.bench.report import load, machine
from tracker.bench.scoped_reads import measure


class Command(BaseCommand):
    help = "Time the main API lists and admin changelists as a province user and as a city user."

    def add_arguments(self, parser):
        parser.add_argument("--city", default="320100", help="the city user's region code (南京市: 320100)")
        parser.add_argument("--repeat", type=int, default=10)

    def handle(self, *args, city, repeat, **options):
        self.stdout.write(f"machine {machine()} · load {load()}")
        self.stdout.write(f"{'user':<16} {'median ms':>9} {'max ms':>8} {'queries':>7} {'count':>9}  url")
        for row in measure(city=city, repeat=repeat):
            count = "" if row["count"] is None else f"{row['count']:,}"
            figures = f"{row['median_ms']:>9} {row['max_ms']:>8} {row['queries']:>7} {count:>9}"
            self.stdout.write(f"{row['user']:<16} {figures}  {row['url']}")
        self.stdout.write(f"load {load()}")
