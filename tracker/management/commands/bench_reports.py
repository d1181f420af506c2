"""`python manage.py bench_reports [--city 320500] [--date D]`: the tier reports' figures (docs/benchmarks.md)."""

import datetime as dt

from django.core.management.base import BaseCommand

from tracker.bench.report import load, machine
from tracker.bench.reports import measure


class Command(BaseCommand):
    help = "Build the night's 14 tier reports and time them; time the province xlsx (with peak memory) and a city PDF."

    def add_arguments(self, parser):
        parser.add_argument("--city", default="320500", help="the city whose PDF is timed (苏州市: 320500)")
        parser.add_argument("--date", type=dt.date.fromisoformat, help="report date (default today)")

    def handle(self, *args, city, date, **options):
        self.stdout.write(f"machine {machine()} · load {load()}")
        r = measure(city=city, report_date=date)
        self.stdout.write(f"{r['enterprises']:,} enterprises, {r['results']:,} current results")
        for name, seconds, size in r["reports"]:
            self.stdout.write(f"  {name:<8} {seconds:>7.2f} s  {size / 1e6:>6.2f} MB of JSON")
        self.stdout.write(f"14 reports (one shared reading): {r['nightly_seconds']:.1f} s "
                          f"(this process's CPU {r['nightly_cpu_seconds']:.1f} s)")
        self.stdout.write(f"province xlsx: {r['xlsx_seconds']:.1f} s, {r['xlsx_bytes'] / 1e6:.1f} MB, "
                          f"peak RSS {r['xlsx_peak_mib']} MiB (+{r['xlsx_growth_mib']} MiB while writing)")
        self.stdout.write(f"{r['pdf_city']} PDF: {r['pdf_seconds']:.1f} s (CPU {r['pdf_cpu_seconds']:.1f} s), "
                          f"{r['pdf_bytes'] / 1e6:.1f} MB")
        self.stdout.write(f"load {load()}")
