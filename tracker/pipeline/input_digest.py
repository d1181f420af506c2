"""Input digests: find the enterprises of a chunk whose inputs changed, without reading their metrics.

An enterprise's results depend on its profile (enterprise row, designations held on the evaluation
date, cluster memberships and revenue ranks), its metrics over the assessment window, the ruleset
chosen for each tier and a few settings. The digest folds all of these into one number per
enterprise and fiscal year. The metrics — nine rows in ten of what a chunk reads — are fingerprinted
by PostgreSQL itself: each row keeps a hash of its content, which the unique index on (enterprise, year)
carries, so the fingerprints are combined per enterprise from the index alone, without reading the
rows. An enterprise whose digest matches the stored one costs a profile row and 16 bytes, and keeps
its results untouched. A chunk with no stored digest at all (a first run) skips the check and takes
the fingerprints from the metrics it reads anyway.

The digest is a pre-filter only: enterprises it flags are evaluated as before, and each result is
still rewritten only when its own input hash changed. Used by full-tier runs on PostgreSQL; a run
limited to some tiers, or on another database, evaluates everything it covers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import numpy as np
from django.db import connection

from tracker import rules
from tracker.models import AnnualMetrics, EvaluationRun, InputDigest
from tracker.pipeline.cluster_ranks import RevenueRanks
from tracker.pipeline.evaluation_plan import ruleset_plan
from tracker.pipeline.facts_loader import (
    METRICS_ROW_HASH,
    Metrics,
    Profiles,
    Slice,
    assemble,
    fiscal_years,
    split_tiers,
)
from tracker.pipeline.fetch import fetch_columns, int8_array, is_postgresql
from tracker.pipeline.hashing import facts_fingerprint, mix_bits, mix_column
from tracker.pipeline.pgcopy import copy_in
from tracker.rules import ENGINE_REVISION
from tracker.selectors.rulesets import RulesetCatalog

# Bump when what goes into a digest changes, so stored digests stop matching. 3: the metrics row hash
# covers the year and the metrics only (no id, no update time) and is stored with the row.
DIGEST_FORMAT = 3


def digests_apply(run: EvaluationRun) -> bool:
    """Digests describe results of every tier; a tier-limited run neither trusts nor writes them."""
    return is_postgresql() and not run.params.get("tiers")


@dataclass
class DigestCheck:
    profile_hashes: np.ndarray  # uint64 per enterprise row: everything but the metrics
    stale: np.ndarray  # bool per enterprise row: evaluate it

    def digests(self, rows: np.ndarray, metrics: Metrics) -> np.ndarray:
        """The digests to store for ``rows``, from the fingerprint of the metrics they were evaluated
        with: a stored digest describes what was evaluated, even when a change was committed between
        the check and the load."""
        return _digest(self.profile_hashes[rows], metrics.fingerprint, metrics.row_count)


def digests_check(
    *,
    part: Slice,
    profiles: Profiles,
    fiscal_year: int,
    as_of: dt.date,
    cluster_ranks: RevenueRanks,
    catalog: RulesetCatalog,
    settings_signature: int,
    per_cluster: frozenset[str],
) -> DigestCheck:
    ids = profiles.enterprise_ids
    profile_hashes = mix_bits(
        _profile_hash(profiles, fiscal_year, as_of, cluster_ranks, catalog, per_cluster),
        np.full(len(ids), settings_signature, dtype=np.uint64),
    )
    stored, found = _stored(part, ids, fiscal_year)
    if not found.any():  # a cold chunk: no need to ask the server for fingerprints
        return DigestCheck(profile_hashes, np.ones(len(ids), dtype=bool))
    fingerprint, row_count = _metrics_fingerprints(part, ids, fiscal_year)
    current = _digest(profile_hashes, fingerprint, row_count)
    return DigestCheck(profile_hashes, ~found | (stored != current))


def _digest(profile_hashes: np.ndarray, fingerprint: np.ndarray, row_count: np.ndarray) -> np.ndarray:
    return mix_column(mix_bits(profile_hashes, fingerprint), row_count).view(np.int64)


def digests_save(*, enterprise_ids: np.ndarray, digests: np.ndarray, fiscal_year: int) -> None:
    """Record the digests of freshly evaluated enterprises (inside the chunk's transaction): the old
    rows deleted, the new ones copied in."""
    n = len(enterprise_ids)
    if not n:
        return
    table = InputDigest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE fiscal_year = %s AND enterprise_id = ANY(%s::int8[])",
            [fiscal_year, int8_array(enterprise_ids)],
        )
    columns = [("enterprise_id", "int8"), ("fiscal_year", "int2"), ("digest", "int8")]
    data = {"enterprise_id": enterprise_ids, "fiscal_year": np.full(n, fiscal_year, dtype=np.int16), "digest": digests}
    with connection.connection.cursor() as cursor:
        copy_in(cursor, table, columns, data, n)


def settings_signature(
    *, tiers: list[str], tier_index: dict, near_miss: rules.NearMiss, parameters: dict, per_cluster: frozenset[str]
) -> int:
    """One number for what every result depends on besides the enterprise's own inputs."""
    text = json.dumps(
        [
            DIGEST_FORMAT,
            ENGINE_REVISION,
            sorted(tiers),
            sorted(tier_index.items()),
            [near_miss.tolerance, near_miss.max_failing],
            parameters,
            sorted(per_cluster),
        ],
        sort_keys=True,
        default=str,
    )
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _profile_hash(profiles: Profiles, fiscal_year, as_of, cluster_ranks, catalog, per_cluster) -> np.ndarray:
    ids = profiles.enterprise_ids
    # Ranks from the revenues the run's cluster ranking read, since the metrics are not loaded.
    light = assemble(
        profiles,
        metrics={},
        fiscal_year=fiscal_year,
        cluster_ranks=cluster_ranks,
        revenue=cluster_ranks.revenue_of(fiscal_year, ids),
    )
    # An age is the one input that moves with the evaluation date alone.
    dated = rules.date_inputs(catalog.engine.values(), light.facts, as_of=as_of, fiscal_year=fiscal_year)
    enterprise_tiers, cluster_tiers = split_tiers(catalog.tiers(), per_cluster)
    plan = ruleset_plan(
        catalog, tiers=enterprise_tiers, as_of=as_of, region_codes=profiles.region_codes, facts=light.facts
    )
    h = facts_fingerprint(light.facts, [*dated, *(plan[t] for t in enterprise_tiers)])
    if cluster_tiers and light.cluster_facts.n:
        rows = light.member_rows
        cluster_plan = ruleset_plan(
            catalog,
            tiers=cluster_tiers,
            as_of=as_of,
            region_codes=profiles.region_codes[rows],
            facts=light.cluster_facts,
        )
        per_membership = facts_fingerprint(
            light.cluster_facts, [light.member_cluster_ids, *(cluster_plan[t] for t in cluster_tiers)]
        )
        combined = np.zeros(len(ids), dtype=np.uint64)
        np.bitwise_xor.at(combined, rows, per_membership)  # order of memberships does not matter
        h = mix_bits(h, combined)
    return h


def _metrics_fingerprints(part: Slice, ids: np.ndarray, fiscal_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Per enterprise row, computed by the server without sending the rows: the XOR of each metrics
    row's stored hash in the window, and the count (0 and 0 without metrics) — what ``load_metrics``
    with ``fingerprint=True`` computes from the rows it reads. An index-only scan of the unique index
    (which includes the hash) where vacuum has marked the pages all-visible."""
    sql, params = metrics_fingerprint_sql(part, fiscal_year)
    data = fetch_columns(sql, params, [("enterprise_id", "int8"), ("hash", "int8"), ("rows", "int8")])
    fingerprint = np.zeros(len(ids), dtype=np.int64)
    count = np.zeros(len(ids))
    rows, inside = _align(ids, data["enterprise_id"])
    fingerprint[rows] = data["hash"][inside]
    count[rows] = data["rows"][inside]
    return fingerprint, count


def metrics_fingerprint_sql(part: Slice, fiscal_year: int) -> tuple[str, list]:
    years = fiscal_years(fiscal_year)
    where, params = part.where("m.enterprise_id")
    sql = (
        f"SELECT m.enterprise_id, bit_xor({METRICS_ROW_HASH}), count(*) "
        f"FROM {AnnualMetrics._meta.db_table} m WHERE {where} AND m.fiscal_year BETWEEN %s AND %s "
        f"GROUP BY m.enterprise_id"
    )
    return sql, [*params, years[0], years[-1]]


def _stored(part: Slice, ids: np.ndarray, fiscal_year: int) -> tuple[np.ndarray, np.ndarray]:
    where, params = part.where("d.enterprise_id")
    sql = f"SELECT d.enterprise_id, d.digest FROM {InputDigest._meta.db_table} d WHERE {where} AND d.fiscal_year = %s"
    data = fetch_columns(sql, [*params, fiscal_year], [("enterprise_id", "int8"), ("digest", "int8")])
    stored = np.zeros(len(ids), dtype=np.int64)
    found = np.zeros(len(ids), dtype=bool)
    rows, inside = _align(ids, data["enterprise_id"])
    stored[rows] = data["digest"][inside]
    found[rows] = True
    return stored, found


def _align(ids: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``keys`` in the sorted ``ids``, and which keys are there at all (an enterprise created
    or deleted between two reads of the chunk is left to the next run)."""
    rows = np.searchsorted(ids, keys)
    inside = rows < len(ids)
    inside[inside] = ids[rows[inside]] == keys[inside]
    return rows[inside], inside
