"""What a draft ruleset would change: evaluate it and the ruleset in force over the stored enterprises.

Read-only and set-based: the facts are loaded per id range with the pipeline's loader and both
rulesets are evaluated vectorised by the engine, with the other tiers' rulesets in force alongside so
``tier`` nodes resolve as in the recompute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from django.conf import settings
from django.utils import timezone

from tracker import rules
from tracker.models import Enterprise, Ruleset
from tracker.pipeline.cluster_ranks import ClusterRevenueRanks
from tracker.pipeline.facts_loader import Slice, load_chunk_facts, per_cluster_tiers
from tracker.pipeline.fetch import fetch_columns
from tracker.rules.definition import tier_references
from tracker.rules.ruleset import region_prefix
from tracker.selectors.rulesets import RulesetCatalog, engine_parameters
from tracker.services.ruleset_errors import DefinitionInvalid

EXAMPLES = 10


def ruleset_preview(
    *,
    draft: Ruleset,
    as_of: dt.date | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Compare ``draft`` with the active ruleset of its tier in force on ``as_of`` (new applications,
    the draft's jurisdiction or national) over the first ``limit`` stored enterprises (all by default).
    ``progress(done, total)``, when given, is told after each id range how many enterprises were read.

    Returns counts — evaluated, eligible_active, eligible_draft, gained (not eligible under the active
    ruleset, eligible under the draft), lost — and up to EXAMPLES enterprises gained and lost.
    Raises ValidationError when the draft's definition is invalid.
    """
    as_of = as_of or timezone.localdate()
    fiscal_year = as_of.year - 1
    tier = draft.tier_id
    region = draft.jurisdiction.code if draft.jurisdiction_id else None
    try:
        draft_engine = rules.Ruleset(
            tier=tier, version=draft.version, effective_from=as_of, status="active", definition=draft.definition
        )
    except rules.DefinitionError as exc:
        raise DefinitionInvalid(exc, draft.definition) from None

    catalog = RulesetCatalog.active()
    active_pk = catalog.select(tier=tier, as_of=as_of, mode="new", region_code=region)
    active = catalog.engine[active_pk] if active_pk else None
    dependencies = _dependencies(catalog, [draft_engine, *([active] if active else [])], tier, as_of, region)

    totals = {"evaluated": 0, "eligible_active": 0, "eligible_draft": 0, "gained": 0, "lost": 0}
    examples: dict[str, list[tuple[int, int | None]]] = {"gained": [], "lost": []}
    per_cluster = per_cluster_tiers()
    # Only a per-cluster tier reads the membership rows and their revenue ranks: for the others the
    # snapshot of every member's revenue (seconds at a million enterprises) would be read for nothing.
    ranks = ClusterRevenueRanks() if tier in per_cluster else Unranked()
    slices, total = _slices(limit)
    done = 0
    if progress is not None:
        progress(done, total)
    for part, size in slices:
        chunk = load_chunk_facts(
            part=part, fiscal_year=fiscal_year, as_of=as_of, cluster_ranks=ranks, per_cluster=per_cluster
        )
        if tier in per_cluster:
            facts, ids = chunk.cluster_facts, chunk.enterprise_ids[chunk.member_rows]
            clusters, region_codes = chunk.member_cluster_ids, chunk.region_codes[chunk.member_rows]
        else:
            facts, ids, region_codes = chunk.facts, chunk.enterprise_ids, chunk.region_codes
            clusters = np.zeros(len(ids), dtype=np.int64)
        if region:
            # A regional draft only applies to enterprises registered in that region.
            keep = np.flatnonzero([str(code).startswith(region_prefix(region)) for code in region_codes])
            facts, ids, clusters = facts.take(keep), ids[keep], clusters[keep]
        if facts.n:
            _compare(draft_engine, active, dependencies, facts, as_of, fiscal_year, ids, clusters, totals, examples)
        done += size
        if progress is not None:
            progress(done, total)

    return {
        "tier": tier,
        "draft": draft.version,
        "active": active.version if active else None,
        "as_of": as_of,
        "fiscal_year": fiscal_year,
        **totals,
        "examples": _named(examples),
    }


def _compare(draft_engine, active, dependencies, facts, as_of, fiscal_year, ids, clusters, totals, examples) -> None:
    """Evaluate one slice under both rulesets and add what changed to ``totals`` and ``examples``."""
    after = _eligible(draft_engine, dependencies, facts, as_of, fiscal_year)
    before = _eligible(active, dependencies, facts, as_of, fiscal_year) if active else np.zeros(facts.n, bool)
    gained, lost = after & ~before, before & ~after
    totals["evaluated"] += int(facts.n)
    totals["eligible_active"] += int(before.sum())
    totals["eligible_draft"] += int(after.sum())
    totals["gained"] += int(gained.sum())
    totals["lost"] += int(lost.sum())
    for key, mask in (("gained", gained), ("lost", lost)):
        room = EXAMPLES - len(examples[key])
        rows = np.flatnonzero(mask)[:room]
        examples[key] += [(int(ids[r]), int(clusters[r]) or None) for r in rows]


class Unranked:
    """Revenue ranks nobody reads: NaN, without reading any member's revenue (a ``RevenueRanks``)."""

    def rank(self, fiscal_year: int, cluster_ids: np.ndarray, revenue: np.ndarray) -> np.ndarray:
        return np.full(len(cluster_ids), np.nan)

    def revenue_of(self, fiscal_year: int, enterprise_ids: np.ndarray) -> np.ndarray:
        return np.full(len(enterprise_ids), np.nan)


def _dependencies(catalog, rulesets, tier, as_of, region) -> dict[str, rules.Ruleset]:
    """The rulesets in force (new applications) of every tier the compared rulesets read, transitively."""
    chosen: dict[str, rules.Ruleset] = {}
    stack = [ref.tier for ruleset in rulesets for ref in tier_references(ruleset.root)]
    while stack:
        dep = stack.pop()
        if dep == tier or dep in chosen:
            continue
        pk = catalog.select(tier=dep, as_of=as_of, mode="new", region_code=region)
        if pk is None:
            continue
        chosen[dep] = catalog.engine[pk]
        stack += [ref.tier for ref in tier_references(chosen[dep].root)]
    return chosen


def _eligible(ruleset, dependencies, facts, as_of, fiscal_year) -> np.ndarray:
    outcomes = rules.evaluate(
        {**dependencies, ruleset.tier: ruleset},
        facts,
        as_of=as_of,
        fiscal_year=fiscal_year,
        parameters=engine_parameters(),
    )
    return outcomes[ruleset.tier].status == rules.ELIGIBLE


def _slices(limit: int | None) -> tuple[list[tuple[Slice, int]], int]:
    """Id ranges of RECOMPUTE_CHUNK_SIZE enterprises (each with its count), the first ``limit``
    enterprises at most; and how many enterprises that is."""
    size = settings.TIDU["RECOMPUTE_CHUNK_SIZE"]
    sql = f"SELECT id FROM {Enterprise._meta.db_table} ORDER BY id"
    params = None
    if limit is not None:
        sql, params = sql + " LIMIT %s", [int(limit)]
    ids = fetch_columns(sql, params, [("id", "int8")])["id"]
    parts = []
    for start in range(0, len(ids), size):
        end = min(start + size, len(ids))
        parts.append((Slice(int(ids[start]), int(ids[end - 1])), end - start))
    return parts, len(ids)


def _named(examples: dict[str, list[tuple[int, int | None]]]) -> dict[str, list[dict]]:
    wanted = {enterprise_id for rows in examples.values() for enterprise_id, _cluster in rows}
    names = {e["id"]: e for e in Enterprise.objects.filter(id__in=wanted).values("id", "name", "uscc")}
    return {
        key: [{**names[enterprise_id], "cluster_id": cluster} for enterprise_id, cluster in rows]
        for key, rows in examples.items()
    }
