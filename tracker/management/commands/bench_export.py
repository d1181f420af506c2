"""`python manage.py bench_export [--list tracker.enterprise] [--kind xlsx] [--query "tier=…"]`: one Excel
export through the export job, its time and peak memory (docs/benchmarks.md, "Excel exports")."""

from django.core.management.base import BaseCommand

from tracker.bench.exports import measure
from tracker.bench.report import load, machine


class Command(BaseCommand):
    help = "Export one admin list through the export job (run in this process) and report time and peak RSS."

    def add_arguments(self, parser):
        parser.add_argument("--list", dest="list_label", default="tracker.enterprise", help="the list's model label")
        parser.add_argument("--kind", default="xlsx", help="the list's export (xlsx, or gaps for the results)")
        parser.add_argument("--query", default="", help="the list's query string: filters, search, order")

    def handle(self, *args, list_label, kind, query, **options):
        self.stdout.write(f"machine {machine()} · load {load()}")
        r = measure(list_label=list_label, kind=kind, query=query)
        self.stdout.write(
            f"{list_label} {kind} ?{query}: the button's capped count {r['decide_seconds']} s "
            f"({r['estimate']:,} rows{' estimated' if r['estimate_is_estimate'] else ''}; inline up to {r['limit']:,})"
        )
        self.stdout.write(
            f"job #{r['job']} {r['status']} {r['error']}: {r['rows']:,} rows in {r['seconds']} s, "
            f"{r['file_mb']} MB ({r['file']})"
        )
        self.stdout.write(f"RSS before {r['baseline_mib']} MiB, peak while exporting {r['peak_mib']} MiB")
        self.stdout.write(f"load {load()}")
