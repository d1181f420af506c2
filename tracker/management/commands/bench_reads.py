"""`python manage.py bench_reads [--base-url URL] [--repeat 20] [--clients 8] [--seconds 20]`: read speed."""

from django.core.management.base import BaseCommand

from tracker.bench import reads
from tracker.bench.report import load, machine


class Command(BaseCommand):
    help = (
        "Time the API's lists, filters, searches and lookups and the admin's pages: median and p95 per URL "
        "with one client, then requests per second with several clients."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", help="a running server (gunicorn config.wsgi -w 2); default: in-process")
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per URL with one client")
        parser.add_argument("--clients", type=int, default=8, help="concurrent clients for the throughput part")
        parser.add_argument("--seconds", type=float, default=20.0, help="duration of each throughput part")
        parser.add_argument("--only", choices=["api", "admin", "throughput"], action="append",
                            help="run only these parts (repeatable)")

    def handle(self, *args, base_url, repeat, clients, seconds, only, **options):
        user = reads.bench_user()
        named = reads.named_urls()
        get = reads.OverHttp(user, base_url).get if base_url else reads.InProcess(user).get
        parts = set(only or ["api", "admin", "throughput"])
        self.stdout.write(f"machine {machine()} · {'HTTP ' + base_url if base_url else 'in-process'} · load {load()}")
        groups = []
        if "api" in parts:
            groups += [("API lists and filters", reads.API_LISTS), ("API searches", reads.API_SEARCHES),
                       ("API lookups", named["lookups"][:3] + named["api_detail"])]
        if "admin" in parts:
            groups += [("admin", reads.ADMIN_PAGES + named["admin_pages"])]
        for title, urls in groups:
            self.stdout.write(f"\n{title} — 1 client, {repeat} requests each")
            self.stdout.write(f"{'median ms':>10} {'p95 ms':>8}  url")
            for row in reads.single_client(get, urls, repeat=repeat):
                self.stdout.write(f"{row['median_ms']:>10.1f} {row['p95_ms']:>8.1f}  {row['url']}")
        if "throughput" in parts:
            self.stdout.write(f"\nthroughput — {clients} clients, {seconds:g} s each")
            self.stdout.write(f"{'req/s':>8} {'median ms':>10} {'p95 ms':>8} {'requests':>9}  what")
            for title, urls in (("lookups by USCC", named["lookups"]), ("filtered lists", reads.API_LISTS[1:9])):
                row = reads.concurrent(get, urls, clients=clients, seconds=seconds)
                self.stdout.write(f"{row['per_second']:>8.1f} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} "
                                  f"{row['requests']:>9}  {title}")
                for error in row["errors"]:
                    self.stdout.write(self.style.WARNING(f"  {error}"))
        self.stdout.write(f"\nload {load()}")
