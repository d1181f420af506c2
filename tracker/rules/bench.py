"""Benchmark the engine: evaluate 8 tiers over N random enterprises.

    python -m tracker.rules.bench --enterprises 1000000 [--synthetic] [--as-of 2026-05-01]

Loads the shipped rulesets from fixtures/rulesets/*.yaml when present (selecting, per tier, the one
in force on --as-of for new applications, national), otherwise the synthetic set. Data generation is
not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import time

import numpy as np

from . import Ruleset, evaluate, select_ruleset
from .synthetic import SIZE_STANDARDS, random_facts, synthetic_rulesets

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "rulesets"


def load_fixture_rulesets(directory: pathlib.Path, as_of: dt.date) -> dict[str, Ruleset]:
    """Every tier's ruleset in force on ``as_of`` for a new application (national)."""
    import yaml

    chosen = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        candidates = [Ruleset.from_dict(entry, tier=data["tier"]) for entry in data.get("rulesets", ())]
        ruleset = select_ruleset(candidates, tier=data["tier"], as_of=as_of, mode="new", region_code=None)
        if ruleset is not None:
            chosen[data["tier"]] = ruleset
    return chosen


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--synthetic", action="store_true", help="use the synthetic rulesets")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 5, 1))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)

    rulesets = {} if args.synthetic or not FIXTURES.is_dir() else load_fixture_rulesets(FIXTURES, args.as_of)
    source = f"fixtures ({FIXTURES})"
    if not rulesets:
        rulesets, source = synthetic_rulesets(), "synthetic"
    nodes = sum(len(r.node_index) for r in rulesets.values())
    print(f"rulesets: {source}: {len(rulesets)} tiers, {nodes} nodes "
          f"({', '.join(f'{t}={len(r.node_index)}' for t, r in rulesets.items())})")

    t0 = time.perf_counter()
    facts = random_facts(args.enterprises, fiscal_year=args.as_of.year - 1, seed=args.seed)
    print(f"generated {facts.n:,} enterprises × 5 fiscal years in {time.perf_counter() - t0:.1f} s (not timed)")

    parameters = {"size_standards": SIZE_STANDARDS}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        outcomes = evaluate(rulesets, facts, as_of=args.as_of, parameters=parameters)
        elapsed = time.perf_counter() - t0
        print(f"evaluated {facts.n:,} enterprises × {len(outcomes)} tiers in {elapsed:.2f} s "
              f"({facts.n * len(outcomes) / elapsed / 1e6:.2f} M results/s)")
    for tier, outcome in outcomes.items():
        counts = np.bincount(outcome.status, minlength=3)
        print(f"  {tier:18s} eligible={counts[0]:>9,} not_eligible={counts[1]:>9,} "
              f"insufficient={counts[2]:>9,} near_miss={int(outcome.near_miss.sum()):>9,}")


if __name__ == "__main__":
    main()
