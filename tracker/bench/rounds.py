"""One round of the recompute's measures: cold → T_io → nightly → incremental.

A ratio's two sides are measured minutes apart. On a shared virtual machine the disk's speed and the
CPU's both move between those minutes (docs/benchmarks.md: the same cold run's CPU-only part, the
evaluation, took 12.2 s in one round and 18.9 s in another), so one round is one draw. ``bench
--repeat N`` measures N rounds, each with its own floor beside it, and judges the targets on the
median of the rounds' ratios (``report.targets``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from . import floor, report, runs


def measure_round(
    *,
    fiscal_year: int,
    as_of: dt.date,
    write_floor: bool,
    share: float,
    floor_repeats: int,
    log: Callable[[str], None],
) -> dict:
    """The cold run (results deleted first), the floor T_io beside it, a nightly with nothing changed,
    and an incremental after 1 % of enterprises changed; each with the load average it started at."""
    out = {}
    log(f"[load {report.load()}] cold full recompute (results deleted first) …")
    runs.delete_results(fiscal_year=fiscal_year)
    load = report.load()
    out["cold"] = {**runs.recompute(as_of=as_of, label="cold"), "load": load}
    log(f"  {out['cold']['seconds']:.2f} s, {out['cold']['changed']:,} rows written")

    log(f"[load {report.load()}] T_io …")
    load = report.load()
    read = min(
        (floor.read_inputs(fiscal_year=fiscal_year, as_of=as_of) for _ in range(floor_repeats)),
        key=lambda r: r["seconds"],
    )
    # The floor's write is a staging table with the real table's indexes (docs/benchmarks.md):
    # maintaining those indexes is I/O any writer pays. The bare-table figure is shown for context.
    write = floor.write_results(fiscal_year=fiscal_year, indexed=True, share=share) if write_floor else None
    out["t_io"] = {
        "read_inputs": read,
        "write": write,
        "seconds": None if write is None else read["seconds"] + write["seconds"],
        "read_results": floor.read_results(fiscal_year=fiscal_year),
        "write_bare": floor.write_results(fiscal_year=fiscal_year) if write_floor and share == 1 else None,
        "load": load,
    }
    log(f"  read {read['seconds']:.2f} s" + ("" if write is None else f" + write {write['seconds']:.2f} s"))

    log(f"[load {report.load()}] nightly, nothing changed …")
    load = report.load()
    out["nightly"] = {**runs.recompute(as_of=as_of, label="nightly"), "load": load}
    log(f"  {out['nightly']['seconds']:.2f} s, changed {out['nightly']['changed']}")

    log(f"[load {report.load()}] incremental: 1 % of enterprises change …")
    since = timezone.now()
    updated = runs.touch_one_percent(fiscal_year=fiscal_year)
    load = report.load()
    out["incremental"] = {
        # What `recompute --changed` does: only the enterprises saved since the last full run.
        **runs.recompute(as_of=as_of, label="incremental", changed_since=since),
        "load": load,
        "metrics_updated": updated,
        "results_of_touched": runs.results_of_touched(fiscal_year=fiscal_year),
    }
    log(f"  {out['incremental']['seconds']:.2f} s, {out['incremental']['changed']:,} rows written")
    return out
