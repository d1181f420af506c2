"""Load the facts of a slice of enterprises into the engine's columnar form, set-based."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
from django.db import connection

from tracker.models import AnnualMetrics, Cluster, ClusterMembership, Designation, Enterprise, Region
from tracker.models.designations import HOLDING_STATUSES
from tracker.pipeline.columns import ENTERPRISE_ATTRIBUTES, METRICS, encoded
from tracker.pipeline.fetch import fetch_columns
from tracker.rules import FactTable
from tracker.rules.fields import CLUSTER_GROUPS

# Windows reach four years before the assessment year (the gazelle rule's four-year growth).
YEARS_BACK = 4
CHAIN_TIER = "chain_leader"


@dataclass
class ChunkFacts:
    """Facts of one slice: enterprise rows, and enterprise × cluster rows for chain leaders."""

    enterprise_ids: np.ndarray  # sorted int64
    region_codes: np.ndarray  # object array of GB/T 2260 codes, one per enterprise row
    facts: FactTable
    member_rows: np.ndarray  # enterprise row index of each membership row
    member_cluster_ids: np.ndarray  # int64
    chain_facts: FactTable
    seconds: float


@dataclass(frozen=True)
class Slice:
    """Which enterprises to load: an id range, optionally narrowed to listed ids."""

    first_id: int
    last_id: int
    enterprise_ids: tuple[int, ...] | None = None

    def where(self, column: str) -> tuple[str, list]:
        if self.enterprise_ids is not None:
            if connection.vendor == "postgresql":
                return f"{column} = ANY(%s)", [list(self.enterprise_ids)]
            marks = ", ".join(["%s"] * len(self.enterprise_ids))
            return f"{column} IN ({marks})", list(self.enterprise_ids)
        return f"{column} BETWEEN %s AND %s", [self.first_id, self.last_id]


def load_chunk_facts(
    *, part: Slice, fiscal_year: int, as_of: dt.date, cluster_ranks: ClusterRevenueRanks
) -> ChunkFacts:
    """Read everything the engine needs for ``part`` with a handful of set-based queries."""
    started = time.perf_counter()
    vendor = connection.vendor
    ids, region_codes, attributes = _enterprises(part, vendor)
    n = len(ids)
    years = list(range(fiscal_year - YEARS_BACK, fiscal_year + 1))
    metrics = _metrics(part, vendor, ids, years)
    held, chain_held = _designations(part, ids, as_of)
    facts = FactTable.from_columns(n=n, attributes=attributes, metrics=metrics, designations=held)

    member_rows, member_clusters, member_groups = _memberships(part, ids)
    chain = facts.take(member_rows)
    revenue = facts.metric("revenue", fiscal_year)[member_rows]
    chain.attributes["cluster_group"] = member_groups
    chain.attributes["revenue_rank_in_cluster"] = cluster_ranks.rank(fiscal_year, member_clusters, revenue)
    held_keys = np.array([e * 1_000_000 + c for e, c in chain_held], dtype=np.int64)
    chain.designations = {CHAIN_TIER: np.isin(ids[member_rows] * 1_000_000 + member_clusters, held_keys)}
    return ChunkFacts(ids, region_codes, facts, member_rows, member_clusters, chain, time.perf_counter() - started)


def _enterprises(part: Slice, vendor: str):
    e = Enterprise._meta.db_table
    where, params = part.where("e.id")
    select = ", ".join(encoded(f, f"e.{f.name}", vendor) for f in ENTERPRISE_ATTRIBUTES)
    sql = f"SELECT e.id, e.region_id, {select} FROM {e} e WHERE {where} ORDER BY e.id"
    columns = [("id", "int8"), ("region_id", "int8")] + [(f.name, "float8") for f in ENTERPRISE_ATTRIBUTES]
    data = fetch_columns(sql, params, columns)
    region_code_by_id = dict(Region.objects.values_list("id", "code"))  # a few dozen rows
    region_codes = np.array([region_code_by_id[i] for i in data["region_id"].tolist()], dtype=object)
    attributes = {f.name: data[f.name] for f in ENTERPRISE_ATTRIBUTES}
    return data["id"], region_codes, attributes


def _metrics(part: Slice, vendor: str, ids: np.ndarray, years: list[int]) -> dict[str, dict[int, np.ndarray]]:
    table = AnnualMetrics._meta.db_table
    where, params = part.where("m.enterprise_id")
    select = ", ".join(encoded(f, f"m.{f.name}", vendor) for f in METRICS)
    sql = (
        f"SELECT m.enterprise_id, m.fiscal_year, {select} FROM {table} m "
        f"WHERE {where} AND m.fiscal_year BETWEEN %s AND %s"
    )
    columns = [("enterprise_id", "int8"), ("fiscal_year", "int8")] + [(f.name, "float8") for f in METRICS]
    data = fetch_columns(sql, [*params, years[0], years[-1]], columns)
    rows = np.searchsorted(ids, data["enterprise_id"])
    out: dict[str, dict[int, np.ndarray]] = {f.name: {} for f in METRICS}
    for year in years:
        mask = data["fiscal_year"] == year
        target = rows[mask]
        for f in METRICS:
            column = np.full(len(ids), np.nan)
            column[target] = data[f.name][mask]
            out[f.name][year] = column
    return out


def _designations(part: Slice, ids: np.ndarray, as_of: dt.date):
    """Designations held on as_of: bool columns per tier, and (enterprise, cluster) for chain leaders."""
    where = {"enterprise_id__in": part.enterprise_ids} if part.enterprise_ids is not None else {
        "enterprise_id__gte": part.first_id, "enterprise_id__lte": part.last_id
    }
    holding = Designation.objects.filter(
        **where, status__in=HOLDING_STATUSES, recognized_on__lte=as_of
    ).exclude(valid_until__lt=as_of)
    held: dict[str, np.ndarray] = {}
    chain_held: set[tuple[int, int]] = set()
    for enterprise_id, tier_id, cluster_id in holding.values_list("enterprise_id", "tier_id", "cluster_id"):
        if tier_id == CHAIN_TIER:
            chain_held.add((enterprise_id, cluster_id))
            continue
        column = held.setdefault(tier_id, np.zeros(len(ids), dtype=bool))
        column[np.searchsorted(ids, enterprise_id)] = True
    return held, chain_held


def _memberships(part: Slice, ids: np.ndarray):
    m, c = ClusterMembership._meta.db_table, Cluster._meta.db_table
    qn = connection.ops.quote_name  # "group" is a reserved word
    where, params = part.where("m.enterprise_id")
    groups = " ".join(f"WHEN '{g}' THEN {code}" for code, g in enumerate(CLUSTER_GROUPS))
    sql = (
        f"SELECT CAST(m.enterprise_id AS BIGINT), CAST(m.cluster_id AS BIGINT), "
        f"CAST(CASE c.{qn('group')} {groups} END AS BIGINT) "
        f"FROM {m} m JOIN {c} c ON c.id = m.cluster_id WHERE {where} ORDER BY m.enterprise_id, m.cluster_id"
    )
    data = fetch_columns(sql, params, [("enterprise_id", "int8"), ("cluster_id", "int8"), ("group", "int8")])
    return np.searchsorted(ids, data["enterprise_id"]), data["cluster_id"], data["group"].astype(np.float64)


class ClusterRevenueRanks:
    """Revenue rank of each member within its cluster, for one fiscal year.

    A rank compares an enterprise with every member of the cluster, not just the chunk, so each
    worker reads the cluster revenues once per run (one query) and ranks by binary search.
    """

    def __init__(self, *, max_age_seconds: float = 600.0):
        self.max_age_seconds = max_age_seconds
        self._year: int | None = None
        self._run_id: object = None
        self._loaded_at = 0.0
        self._sorted: dict[int, np.ndarray] = {}

    def rank(self, fiscal_year: int, cluster_ids: np.ndarray, revenue: np.ndarray) -> np.ndarray:
        self._refresh(fiscal_year)
        ranks = np.full(len(cluster_ids), np.nan)
        for cluster_id in np.unique(cluster_ids):
            mask = cluster_ids == cluster_id
            ascending = self._sorted.get(int(cluster_id), np.empty(0))
            # rank = 1 + members with strictly larger revenue
            larger = len(ascending) - np.searchsorted(ascending, revenue[mask], side="right")
            ranks[mask] = np.where(np.isnan(revenue[mask]), np.nan, 1 + larger)
        return ranks

    def for_run(self, run_id: object) -> ClusterRevenueRanks:
        """Read the ranks afresh for each run: revenues saved since the last run change them (an
        on-change run right after a revenue edit must not rank with the old figures)."""
        if self._run_id != run_id:
            self._run_id, self._year = run_id, None
        return self

    def invalidate(self) -> None:
        self._year = None

    def _refresh(self, fiscal_year: int) -> None:
        fresh = time.monotonic() - self._loaded_at < self.max_age_seconds
        if self._year == fiscal_year and fresh:
            return
        m, a = ClusterMembership._meta.db_table, AnnualMetrics._meta.db_table
        sql = (
            f"SELECT CAST(m.cluster_id AS BIGINT), CAST(a.revenue AS DOUBLE PRECISION) FROM {m} m JOIN {a} a "
            f"ON a.enterprise_id = m.enterprise_id AND a.fiscal_year = %s WHERE a.revenue IS NOT NULL"
        )
        data = fetch_columns(sql, [fiscal_year], [("cluster_id", "int8"), ("revenue", "float8")])
        order = np.lexsort((data["revenue"], data["cluster_id"]))
        clusters, revenue = data["cluster_id"][order], data["revenue"][order]
        bounds = np.flatnonzero(np.diff(clusters)) + 1
        self._sorted = {
            int(group[0]): rev
            for group, rev in zip(np.split(clusters, bounds), np.split(revenue, bounds), strict=True)
            if len(group)
        }
        self._year, self._loaded_at = fiscal_year, time.monotonic()
