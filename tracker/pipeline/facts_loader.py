"""Load the facts of a slice of enterprises into the engine's columnar form, set-based."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import connection

from tracker.models import AnnualMetrics, Cluster, ClusterMembership, Designation, Enterprise, Region
from tracker.pipeline.cluster_ranks import ClusterRevenueRanks
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


@dataclass
class Profiles:
    """Everything about a slice except its annual metrics: the enterprise rows, the designations
    held on the evaluation date and the cluster memberships. Small next to the metrics, so it is
    always read in full; the metrics are read only for the enterprises that need evaluating."""

    enterprise_ids: np.ndarray  # sorted int64
    region_codes: np.ndarray
    attributes: dict[str, np.ndarray]
    held: dict[str, np.ndarray]  # tier → bool per enterprise row
    chain_held: np.ndarray  # bool per membership row
    member_rows: np.ndarray
    member_cluster_ids: np.ndarray
    member_groups: np.ndarray

    def take(self, rows: np.ndarray) -> Profiles:
        """The profiles of the enterprise rows ``rows`` (sorted), with their memberships."""
        keep = np.isin(self.member_rows, rows)
        return Profiles(
            enterprise_ids=self.enterprise_ids[rows],
            region_codes=self.region_codes[rows],
            attributes={k: v[rows] for k, v in self.attributes.items()},
            held={k: v[rows] for k, v in self.held.items()},
            chain_held=self.chain_held[keep],
            member_rows=np.searchsorted(rows, self.member_rows[keep]),
            member_cluster_ids=self.member_cluster_ids[keep],
            member_groups=self.member_groups[keep],
        )


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

    def narrowed(self, enterprise_ids: np.ndarray) -> Slice:
        return Slice(self.first_id, self.last_id, tuple(int(i) for i in enterprise_ids))


def fiscal_years(fiscal_year: int) -> list[int]:
    return list(range(fiscal_year - YEARS_BACK, fiscal_year + 1))


def load_chunk_facts(
    *, part: Slice, fiscal_year: int, as_of: dt.date, cluster_ranks: ClusterRevenueRanks
) -> ChunkFacts:
    """Read everything the engine needs for ``part`` with a handful of set-based queries."""
    profiles = load_profiles(part=part, as_of=as_of)
    metrics = load_metrics(part=part, ids=profiles.enterprise_ids, fiscal_year=fiscal_year)
    return assemble(profiles, metrics=metrics.columns, fiscal_year=fiscal_year, cluster_ranks=cluster_ranks)


def load_profiles(*, part: Slice, as_of: dt.date) -> Profiles:
    vendor = connection.vendor
    ids, region_codes, attributes = _enterprises(part, vendor)
    held, chain_held = _designations(part, ids, as_of)
    member_rows, member_clusters, member_groups = _memberships(part, ids)
    held_keys = np.array([e * 1_000_000 + c for e, c in chain_held], dtype=np.int64)
    chain = np.isin(ids[member_rows] * 1_000_000 + member_clusters, held_keys)
    return Profiles(ids, region_codes, attributes, held, chain, member_rows, member_clusters, member_groups)


@dataclass
class Metrics:
    """The metrics of a slice as engine columns, with the server's fingerprint of them per enterprise
    row (on PostgreSQL, when asked for): the XOR of a hash of each metrics row, and the row count."""

    columns: dict[str, dict[int, np.ndarray]]
    fingerprint: np.ndarray | None = None  # int64
    row_count: np.ndarray | None = None  # float64


# PostgreSQL hashes a whole metrics row (every column, NULLs included) into an int8. The input
# digests compare these, so a change is seen even when made around the services.
METRICS_ROW_HASH = "hash_record_extended(m, 0)"


def load_metrics(*, part: Slice, ids: np.ndarray, fiscal_year: int, fingerprint: bool = False) -> Metrics:
    return _metrics(part, connection.vendor, ids, fiscal_years(fiscal_year), fingerprint)


def assemble(
    profiles: Profiles,
    *,
    metrics: dict[str, dict[int, np.ndarray]],
    fiscal_year: int,
    cluster_ranks: ClusterRevenueRanks,
    revenue: np.ndarray | None = None,
) -> ChunkFacts:
    """The engine's fact tables. Revenue ranks use each enterprise's revenue in ``metrics``, or
    ``revenue`` (per enterprise row) when the metrics were not loaded."""
    ids = profiles.enterprise_ids
    facts = FactTable.from_columns(
        n=len(ids), attributes=profiles.attributes, metrics=metrics, designations=profiles.held
    )
    rows = profiles.member_rows
    chain = facts.take(rows)
    own_revenue = (facts.metric("revenue", fiscal_year) if revenue is None else revenue)[rows]
    chain.attributes["cluster_group"] = profiles.member_groups
    chain.attributes["revenue_rank_in_cluster"] = cluster_ranks.rank(
        fiscal_year, profiles.member_cluster_ids, own_revenue
    )
    chain.designations = {CHAIN_TIER: profiles.chain_held}
    return ChunkFacts(ids, profiles.region_codes, facts, rows, profiles.member_cluster_ids, chain)


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


def _metrics(part: Slice, vendor: str, ids: np.ndarray, years: list[int], fingerprint: bool) -> Metrics:
    table = AnnualMetrics._meta.db_table
    where, params = part.where("m.enterprise_id")
    select = ", ".join(encoded(f, f"m.{f.name}", vendor) for f in METRICS)
    columns = [("enterprise_id", "int8"), ("fiscal_year", "int8")] + [(f.name, "float8") for f in METRICS]
    if fingerprint:
        select += f", {METRICS_ROW_HASH}"
        columns.append(("row_hash", "int8"))
    sql = (
        f"SELECT m.enterprise_id, m.fiscal_year, {select} FROM {table} m "
        f"WHERE {where} AND m.fiscal_year BETWEEN %s AND %s"
    )
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
    if not fingerprint:
        return Metrics(out)
    combined = np.zeros(len(ids), dtype=np.int64)
    np.bitwise_xor.at(combined, rows, data["row_hash"])  # as bit_xor() over the rows in SQL
    return Metrics(out, combined, np.bincount(rows, minlength=len(ids)).astype(np.float64))


def _designations(part: Slice, ids: np.ndarray, as_of: dt.date):
    """Designations held on as_of: bool columns per tier, and (enterprise, cluster) for chain leaders."""
    where = {"enterprise_id__in": part.enterprise_ids} if part.enterprise_ids is not None else {
        "enterprise_id__gte": part.first_id, "enterprise_id__lte": part.last_id
    }
    holding = Designation.objects.filter(**where).held_on(as_of)
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
