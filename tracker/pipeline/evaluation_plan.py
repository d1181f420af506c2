"""Evaluate a chunk: choose each row's rulesets, skip unchanged rows, run the engine on the rest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from tracker import rules
from tracker.pipeline.facts_loader import ChunkFacts, split_tiers
from tracker.pipeline.hashing import facts_fingerprint, result_fingerprint
from tracker.rules.definition import tier_references
from tracker.rules.durations import day_of
from tracker.rules.facts import date_from_day_number
from tracker.selectors.rulesets import RulesetCatalog


@dataclass
class TierRows:
    """New results of one tier for the rows that changed (parallel arrays)."""

    tier: str
    enterprise_ids: np.ndarray
    cluster_ids: np.ndarray  # 0 where the tier is not per cluster
    ruleset_pks: np.ndarray
    input_hashes: np.ndarray
    status: np.ndarray  # engine status codes
    score: np.ndarray
    failing_count: np.ndarray
    shortfall: np.ndarray
    near_miss: np.ndarray
    failed_bits: np.ndarray  # (n, bytes) uint8
    unknown_bits: np.ndarray


def result_key(tier_index: np.ndarray | int, enterprise_ids: np.ndarray, cluster_ids: np.ndarray) -> np.ndarray:
    """One int64 per (enterprise, cluster or 0, tier index < 16)."""
    return (enterprise_ids.astype(np.int64) * 100_000 + cluster_ids) * 16 + tier_index


@dataclass
class Evaluation:
    """What a chunk's evaluation produced: new results for the rows whose inputs changed, and the key
    of every result the chunk should hold (one per row and tier with a ruleset in force)."""

    rows: list[TierRows]
    expected_keys: np.ndarray  # sorted int64, see result_key


def ruleset_plan(
    catalog: RulesetCatalog, *, tiers: list[str], as_of: dt.date, region_codes: np.ndarray, facts: rules.FactTable
) -> dict[str, np.ndarray]:
    """Per tier, the ruleset pk of each row (0 = none in force): review rules for holders of the
    tier (复核) — those for the date their title was granted —, new-application rules for everyone
    else, from the most specific jurisdiction."""
    plan = {}
    regions, inverse = np.unique(region_codes.astype(str), return_inverse=True)
    inverse = inverse.ravel()
    for tier in tiers:
        new = np.array(
            [catalog.select(tier=tier, as_of=as_of, mode="new", region_code=code) or 0 for code in regions],
            dtype=np.int64,
        )[inverse]
        holds = facts.holds(tier)
        if not holds.any():
            plan[tier] = new
            continue
        review = np.zeros(len(holds), dtype=np.int64)
        rows = np.flatnonzero(holds)
        # Rows whose region and grant date fall in the same grant window get the same ruleset:
        # select once per (region, window), not once per row.
        edges = _grant_edges(catalog, tier)
        granted = facts.granted_on(tier)[rows]
        window = np.where(np.isnan(granted), -1, np.searchsorted(edges, np.nan_to_num(granted), side="right"))
        pairs, pair_of_row = np.unique(np.stack([inverse[rows], window], axis=1), axis=0, return_inverse=True)
        chosen = []
        for region, w in pairs:
            day = None if w < 0 else (edges[w - 1] if w > 0 else edges[0] - 1 if len(edges) else day_of(as_of))
            pk = catalog.select(
                tier=tier, as_of=as_of, mode="review", region_code=regions[region],
                granted_on=None if day is None else date_from_day_number(day),
            )
            chosen.append(pk or 0)
        review[rows] = np.array(chosen, dtype=np.int64)[pair_of_row.ravel()]
        plan[tier] = np.where(holds, review, new)
    return plan


def _grant_edges(catalog: RulesetCatalog, tier: str) -> np.ndarray:
    """Sorted day numbers where a grant window of the tier's rulesets opens or has just closed."""
    edges = set()
    for ruleset in catalog.engine.values():
        if ruleset.tier != tier:
            continue
        if ruleset.granted_from is not None:
            edges.add(day_of(ruleset.granted_from))
        if ruleset.granted_to is not None:
            edges.add(day_of(ruleset.granted_to) + 1)
    return np.array(sorted(edges), dtype=np.float64)


def tier_dependencies(catalog: RulesetCatalog, tiers: list[str]) -> dict[str, list[str]]:
    """Per tier, the other tiers whose status its active rulesets read, transitively."""
    direct: dict[str, set[str]] = {}
    for ruleset in catalog.engine.values():
        direct.setdefault(ruleset.tier, set()).update(ref.tier for ref in tier_references(ruleset.root))
    out = {}
    for tier in tiers:
        seen, stack = set(), [tier]
        while stack:
            for dep in direct.get(stack.pop(), ()):
                if dep != tier and dep not in seen:
                    seen.add(dep)
                    stack.append(dep)
        out[tier] = sorted(seen)
    return out


def evaluate_changed(
    *,
    chunk: ChunkFacts,
    catalog: RulesetCatalog,
    tiers: list[str],
    as_of: dt.date,
    fiscal_year: int,
    parameters: dict,
    near_miss: rules.NearMiss,
    tier_index: dict[str, int],
    existing_hash,
    per_cluster: frozenset[str],
) -> Evaluation:
    """Results for every (row, tier) whose input hash differs from ``existing_hash(tier, ent, cl)``."""
    rows, keys = [], []
    shared = {
        "catalog": catalog,
        "as_of": as_of,
        "fiscal_year": fiscal_year,
        "parameters": parameters,
        "near_miss": near_miss,
        "tier_index": tier_index,
        "existing_hash": existing_hash,
        "expected_keys": keys,
    }
    enterprise_tiers, cluster_tiers = split_tiers(tiers, per_cluster)
    if enterprise_tiers and chunk.facts.n:
        rows += _evaluate_table(
            facts=chunk.facts,
            enterprise_ids=chunk.enterprise_ids,
            cluster_ids=np.zeros(chunk.facts.n, dtype=np.int64),
            region_codes=chunk.region_codes,
            tiers=enterprise_tiers,
            **shared,
        )
    # Per-cluster tiers (chain leaders) are judged per cluster: one row per membership.
    if cluster_tiers and chunk.cluster_facts.n:
        rows += _evaluate_table(
            facts=chunk.cluster_facts,
            enterprise_ids=chunk.enterprise_ids[chunk.member_rows],
            cluster_ids=chunk.member_cluster_ids,
            region_codes=chunk.region_codes[chunk.member_rows],
            tiers=cluster_tiers,
            **shared,
        )
    expected = np.sort(np.concatenate(keys)) if keys else np.empty(0, dtype=np.int64)
    return Evaluation(rows=rows, expected_keys=expected)


def _evaluate_table(
    *, facts, enterprise_ids, cluster_ids, region_codes, catalog, tiers, as_of, fiscal_year, parameters, near_miss,
    tier_index, existing_hash, expected_keys: list,
) -> list[TierRows]:
    # Tiers read by a ``tier`` node are evaluated too (a --tier run still needs them) but not written.
    deps = tier_dependencies(catalog, tiers)
    evaluated_tiers = sorted(set(tiers).union(*deps.values()))
    plan = ruleset_plan(catalog, tiers=evaluated_tiers, as_of=as_of, region_codes=region_codes, facts=facts)
    # An age moves with the evaluation date: the input is where it stands among the rulesets' bars.
    dated = rules.date_inputs(catalog.engine.values(), facts, as_of=as_of, fiscal_year=fiscal_year)
    # The near-miss rule decides a stored column, so a changed setting rewrites the results.
    rule = [np.full(facts.n, near_miss.tolerance), np.full(facts.n, float(near_miss.max_failing))]
    row_hash = facts_fingerprint(facts, [*dated, *rule])
    hashes = {
        t: result_fingerprint(row_hash, plan[t], tier_index[t], [plan[d] for d in deps[t]]) for t in tiers
    }
    changed = np.zeros(facts.n, dtype=bool)
    for t in tiers:
        in_force = plan[t] != 0
        expected_keys.append(result_key(tier_index[t], enterprise_ids[in_force], cluster_ids[in_force]))
        changed |= in_force & (hashes[t] != existing_hash(t, enterprise_ids, cluster_ids))
    rows = np.flatnonzero(changed)
    if rows.size == 0:
        return []
    # Rows sharing the same choice of ruleset per tier are evaluated together.
    signature = np.stack([plan[t][rows] for t in evaluated_tiers], axis=1)
    groups, inverse = np.unique(signature, axis=0, return_inverse=True)
    parts: dict[str, list[TierRows]] = {t: [] for t in tiers}
    for g, pks in enumerate(groups):
        members = rows[inverse.ravel() == g]
        rulesets = {t: catalog.engine[int(pk)] for t, pk in zip(evaluated_tiers, pks, strict=True) if pk}
        outcomes = rules.evaluate(
            rulesets, facts.take(members), as_of=as_of, fiscal_year=fiscal_year, parameters=parameters,
            near_miss=near_miss,
        )
        for t, outcome in outcomes.items():
            if t not in parts:
                continue  # evaluated only because a requested tier reads its status
            parts[t].append(
                TierRows(
                    tier=t,
                    enterprise_ids=enterprise_ids[members],
                    cluster_ids=cluster_ids[members],
                    ruleset_pks=plan[t][members],
                    input_hashes=hashes[t][members],
                    status=outcome.status,
                    score=outcome.score,
                    failing_count=outcome.failing_count,
                    shortfall=outcome.shortfall,
                    near_miss=outcome.near_miss,
                    failed_bits=outcome.failed_bits,
                    unknown_bits=outcome.unknown_bits,
                )
            )
    return [p for t in tiers for p in parts[t]]
