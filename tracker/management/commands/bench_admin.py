"""`python manage.py bench_admin [--city 320100] [--repeat 10] [--only TEXT] [--sql]`: every admin page kind,
as a province user and as a city user: median and p95 server time and queries per page."""

from django.core.management.base import BaseCommand

from tracker.bench.admin_pages import measure
from tracker.bench.report import load, machine


class Command(BaseCommand):
    help = (
        "Time every kind of admin page (changelists with filters and searches, change pages, the explanation, "
        "the report page) as a province user and as a city user."
    )

    def add_arguments(self, parser):
        parser.add_argument("--city", default="320100", help="the city user's region code (南京市: 320100)")
        parser.add_argument("--repeat", type=int, default=10, help="timed requests per page and user")
        parser.add_argument("--only", default="", help="only the pages whose name contains this text")
        parser.add_argument("--sql", action="store_true", help="print the slowest query of each page")

    def handle(self, *args, city, repeat, only, sql, **options):
        self.stdout.write(f"machine {machine()} · load {load()}")
        timings = measure(city=city, repeat=repeat, only=only)
        (province, province_rows), (city_user, city_rows) = timings.items()
        by_page = {row.page: row for row in city_rows}
        self.stdout.write(f"{'':<42} {province:>30}   {city_user:>30}")
        columns = f"{'median':>7} {'p95':>7} {'sql':>6} {'queries':>7}"
        self.stdout.write(f"{'page':<42} {columns}   {columns}")
        for row in province_rows:
            other = by_page.get(row.page)
            self.stdout.write(f"{row.page:<42} {self._cells(row)}   {self._cells(other)}")
            if sql:
                for timing in (row, other):
                    if timing is not None and timing.slowest_sql:
                        self.stdout.write(f"    {timing.slowest_ms:.1f} ms  {timing.slowest_sql[:600]}")
        slow = [r for r in [*province_rows, *city_rows] if r.status == 200 and r.p95_ms > 500]
        self.stdout.write(f"pages over 500 ms (p95): {len(slow)} · load {load()}")

    @staticmethod
    def _cells(row) -> str:
        if row is None:
            return f"{'—':>7} {'':>7} {'':>6} {'':>7}"
        if row.status != 200:
            return f"{row.status:>7} {'':>7} {'':>6} {'':>7}"
        return f"{row.median_ms:>7.0f} {row.p95_ms:>7.0f} {row.sql_ms:>6.0f} {row.queries:>7}"
