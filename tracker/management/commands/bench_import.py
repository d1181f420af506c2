"""Benchmark of the yearly data update: a metrics workbook of N rows, dry run, then commit.

    DATABASE_URL=postgres://…/tidu_bench python manage.py bench_import --rows 100000

Needs demo data (``generate_demo``) with at least N/2 enterprises. Half the rows add the year after the
last stored one (new rows), half revise the last stored year (changed rows), about twenty figures
each, within the plausibility bounds. The commit is real (run it on a database of its own); the
on-change recompute it queues is not timed here (docs/benchmarks.md has the recompute's figures).
"""

import datetime as dt
import tempfile
import time
from pathlib import Path

from django.core.files.base import File
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max

from tracker import imports
from tracker.imports.metrics import BY_NAME
from tracker.models import AnnualMetrics, ImportJob
from tracker.services import recompute_trigger
from tracker.services.imports import import_job_commit, import_job_validate
from tracker.xlsx import Table, write_tables

FIGURES = ["revenue", "main_business_revenue", "rd_expense", "net_profit", "total_assets", "total_liabilities",
           "employees", "rd_staff", "ip_class1", "ip_class2", "digital_level", "high_tech_certified", "compliance_ok"]


class Command(BaseCommand):
    help = "Time a metrics import of N rows (dry run and commit) on the configured database."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)

    def handle(self, *args, rows, **options):
        last = AnnualMetrics.objects.aggregate(last=Max("fiscal_year"))["last"]
        if last is None:
            raise CommandError("No metrics: run generate_demo first.")
        half = rows // 2
        stored = list(
            AnnualMetrics.objects.filter(fiscal_year=last, revenue__gt=0, employees__gt=0)
            .order_by("enterprise_id")
            .values_list("enterprise__uscc", "enterprise__name", "revenue", "employees", "rd_expense")[:half]
        )
        if len(stored) < half:
            raise CommandError(f"Need {half:,} enterprises with {last} metrics, found {len(stored):,}.")
        headers = ["统一社会信用代码", "企业名称", "年度", *(BY_NAME[f].header for f in FIGURES)]
        started = time.monotonic()

        def row(code, name, year, revenue, employees, rd_expense, growth):
            wan = float(revenue) / 10_000 * growth
            return [code, name, year, round(wan, 2), round(wan * 0.9, 2), round(wan * 0.05, 2), round(wan * 0.08, 2),
                    round(wan * 1.5, 2), round(wan * 0.6, 2), employees, max(employees // 5, 1), 5, 12, 2, "是", "是"]

        data = [row(c, n, last + 1, r, e, d, 1.1) for c, n, r, e, d in stored]
        data += [row(c, n, last, r, e, d, 1.02) for c, n, r, e, d in stored[: rows - half]]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench-metrics.xlsx"
            write_tables([Table(title="数据", headers=headers, rows=data)], path)
            written = time.monotonic() - started
            job = ImportJob(kind="metrics", original_name=path.name)
            with path.open("rb") as fh:
                job.file.save(path.name, File(fh), save=True)
        queued = []
        original = recompute_trigger.enqueue_enterprises
        recompute_trigger.enqueue_enterprises = lambda enterprise_ids: queued.append(len(enterprise_ids))
        try:
            t0 = time.monotonic()
            sheet = imports.read("metrics", job.file.path)
            t_read = time.monotonic() - t0
            t0 = time.monotonic()
            plan = imports.plan("metrics", sheet, today=dt.date(last + 1, 12, 31))
            t_plan = time.monotonic() - t0
            t0 = time.monotonic()
            job = import_job_validate(job=job)
            t_validate = time.monotonic() - t0
            t0 = time.monotonic()
            job = import_job_commit(job=job)
            t_commit = time.monotonic() - t0
        finally:
            recompute_trigger.enqueue_enterprises = original
        self.stdout.write(
            f"rows {len(data):,} (file written in {written:.1f} s)\n"
            f"read the workbook: {t_read:.1f} s; validate and classify: {t_plan:.1f} s; counts {plan.counts()}\n"
            f"dry run as a job (read, validate, preview, parsed columns kept): {t_validate:.1f} s\n"
            f"commit (validate again in the transaction, write rows and history): {t_commit:.1f} s, "
            f"status {job.status}\n"
            f"on-change run queued for {sum(queued):,} enterprises"
        )
