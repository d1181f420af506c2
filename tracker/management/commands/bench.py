"""`python manage.py bench --enterprises N [--json] [--orm-sample 200] [--no-workers]`.

Measures, in one run on PostgreSQL: the I/O floor T_io, a cold full recompute, a nightly recompute with
nothing changed, an incremental recompute after 1 % of enterprises changed, the cold recompute in 1
and 2 worker processes, and the per-enterprise ORM path on a sample; prints each with its ratio and
PASS/MISS per DESIGN §9 target. Builds the dataset with generate_demo's fast path unless the database
already holds N demo enterprises. It deletes and rewrites every EligibilityResult: use a bench database.
"""

import datetime as dt
import json as jsonlib

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from tracker.bench import dataset, floor, orm_path, report, runs, workers
from tracker.demo.generator import LAST_FISCAL_YEAR


class Command(BaseCommand):
    help = "Benchmark the recompute pipeline against its I/O floor (PostgreSQL only; rewrites all results)."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, required=True, help="N demo enterprises to bench on.")
        parser.add_argument("--seed", type=int, default=1, help="generate_demo seed when the dataset is built.")
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=dt.date(LAST_FISCAL_YEAR + 1, 6, 30),
            help="evaluation date of every run (fixed, so a rerun does not see company ages move).",
        )
        parser.add_argument("--orm-sample", type=int, default=200, help="enterprises for the ORM path (0 = skip).")
        parser.add_argument("--no-workers", action="store_true", help="skip the 1- vs 2-worker comparison.")
        parser.add_argument(
            "--no-write-floor",
            action="store_true",
            help="skip T_write: it spools the results to a file and COPYs them into a second table, so it needs "
            "free disk for two more copies of the results (~30 GB at 10M); T_io is then not measured.",
        )
        parser.add_argument(
            "--write-floor-share",
            type=float,
            default=1.0,
            help="copy only this share (0–1] of the results (the first enterprise ids) for T_write and scale the "
            "time by the rows: the disk it needs shrinks with it (0.25 at 10M); the bare-table figure is skipped.",
        )
        parser.add_argument(
            "--floor-repeats", type=int, default=3, help="reads of the inputs for T_read, the fastest kept."
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of text.")

    def handle(self, *args, enterprises, seed, as_of, orm_sample, no_workers, no_write_floor, verbosity, **options):
        share, repeats = options["write_floor_share"], options["floor_repeats"]
        if not 0 < share <= 1:
            raise CommandError("--write-floor-share must be in (0, 1].")
        if repeats < 1:
            raise CommandError("--floor-repeats must be at least 1.")
        if connection.vendor != "postgresql":
            raise CommandError("bench measures the PostgreSQL fast path: set DATABASE_URL to a PostgreSQL database.")
        as_json = options["json"]
        log = (lambda msg: self.stderr.write(msg)) if verbosity >= 1 else (lambda msg: None)
        fiscal_year = as_of.year - 1
        figures = {
            "enterprises": enterprises,
            "as_of": as_of.isoformat(),
            "fiscal_year": fiscal_year,
            "machine": report.machine(),
        }
        figures["dataset"] = dataset.ensure_dataset(enterprises=enterprises, seed=seed, log=log)

        log(f"[load {report.load()}] cold full recompute (results deleted first) …")
        runs.delete_results(fiscal_year=fiscal_year)
        load = report.load()
        figures["cold"] = {**runs.recompute(as_of=as_of, label="cold"), "load": load}
        log(f"  {figures['cold']['seconds']:.2f} s, {figures['cold']['changed']:,} rows written")

        log(f"[load {report.load()}] T_io …")
        load = report.load()
        read = min(
            (floor.read_inputs(fiscal_year=fiscal_year, as_of=as_of) for _ in range(repeats)),
            key=lambda r: r["seconds"],
        )
        # The floor's write is a staging table with the real table's indexes (docs/benchmarks.md):
        # maintaining those indexes is I/O any writer pays. The bare-table figure is shown for context.
        write = None if no_write_floor else floor.write_results(fiscal_year=fiscal_year, indexed=True, share=share)
        figures["t_io"] = {
            "read_inputs": read,
            "write": write,
            "seconds": None if write is None else read["seconds"] + write["seconds"],
            "read_results": floor.read_results(fiscal_year=fiscal_year),
            "write_bare": None if no_write_floor or share < 1 else floor.write_results(fiscal_year=fiscal_year),
            "load": load,
        }
        log(f"  read {read['seconds']:.2f} s" + ("" if write is None else f" + write {write['seconds']:.2f} s"))

        log(f"[load {report.load()}] nightly, nothing changed …")
        load = report.load()
        figures["nightly"] = {**runs.recompute(as_of=as_of, label="nightly"), "load": load}
        log(f"  {figures['nightly']['seconds']:.2f} s, changed {figures['nightly']['changed']}")

        log(f"[load {report.load()}] incremental: 1 % of enterprises change …")
        since = timezone.now()
        updated = runs.touch_one_percent(fiscal_year=fiscal_year)
        load = report.load()
        figures["incremental"] = {
            # What `recompute --changed` does: only the enterprises saved since the last full run.
            **runs.recompute(as_of=as_of, label="incremental", changed_since=since),
            "load": load,
            "metrics_updated": updated,
            "results_of_touched": runs.results_of_touched(fiscal_year=fiscal_year),
        }
        log(f"  {figures['incremental']['seconds']:.2f} s, {figures['incremental']['changed']:,} rows written")

        if not no_workers:
            for processes in (1, 2):
                log(f"[load {report.load()}] cold full recompute in {processes} worker process(es) …")
                runs.delete_results(fiscal_year=fiscal_year)
                load = report.load()
                result = workers.recompute_in_children(as_of=as_of, processes=processes)
                figures[f"workers_{processes}"] = {**result, "load": load}
                log(f"  {result['seconds']:.2f} s, {result['changed']:,} rows written")

        if orm_sample:
            log(f"[load {report.load()}] ORM path on {orm_sample} enterprises …")
            load = report.load()
            orm = orm_path.orm_recompute(sample=orm_sample, as_of=as_of)
            orm["extrapolated_seconds"] = orm["seconds"] / max(orm["sample"], 1) * enterprises
            figures["orm"] = {**orm, "load": load}
            log(f"  {orm['seconds']:.2f} s → {orm['extrapolated_seconds']:.0f} s at N")

        workers_1 = figures.get("workers_1")
        figures["peak_rss_bytes"] = workers_1["peak_rss_bytes"] if workers_1 else figures["cold"]["peak_rss_bytes"]
        figures["targets"] = report.targets(figures)
        if as_json:
            self.stdout.write(jsonlib.dumps(figures, indent=2, default=str))
        else:
            self.stdout.write(report.render(figures))
