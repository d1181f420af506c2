"""`python manage.py bench --enterprises N [--json] [--orm-sample 200] [--no-workers] [--repeat 5]`.

Measures, in one run on PostgreSQL: the I/O floor T_io, a cold full recompute, a nightly recompute with
nothing changed, an incremental recompute after 1 % of enterprises changed (``--repeat`` rounds of
these four, the targets judged on the median ratio), the cold recompute in 1 and 2 worker processes,
and the per-enterprise ORM path on a sample; prints each with its ratio and PASS/MISS per DESIGN §9
target. Builds the dataset with generate_demo's fast path unless the database already holds N demo
enterprises. It deletes and rewrites every EligibilityResult: use a bench database.
"""

import datetime as dt
import json as jsonlib

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tracker.bench import dataset, orm_path, report, rounds, runs, workers
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
        parser.add_argument(
            "--repeat",
            type=int,
            default=1,
            help="measure the cold run, T_io, the nightly and the incremental this many times, each round with its "
            "own floor, and judge the ratio targets on the median of the rounds (a shared host's disk and CPU "
            "speeds move between runs).",
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of text.")

    def handle(
        self, *args, enterprises, seed, as_of, orm_sample, no_workers, no_write_floor, repeat, verbosity, **options
    ):
        share, floor_repeats = options["write_floor_share"], options["floor_repeats"]
        if not 0 < share <= 1:
            raise CommandError("--write-floor-share must be in (0, 1].")
        if floor_repeats < 1:
            raise CommandError("--floor-repeats must be at least 1.")
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
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

        rounds_measured = []
        for number in range(1, repeat + 1):
            if repeat > 1:
                log(f"round {number} of {repeat}")
            rounds_measured.append(
                rounds.measure_round(
                    fiscal_year=fiscal_year, as_of=as_of, write_floor=not no_write_floor, share=share,
                    floor_repeats=floor_repeats, log=log,
                )
            )
        # The last round is shown in full; with several, the targets take the median of their ratios.
        figures.update(rounds_measured[-1])
        if repeat > 1:
            figures["rounds"] = rounds_measured

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
