"""Load the facts of a slice of enterprises into the engine's columnar form, set-based."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import connection

from tracker.models import AnnualMetrics, Cluster, ClusterMembership, Designation, Enterprise, Region, Tier
from tracker.pipeline.cluster_ranks import RevenueRanks
from tracker.pipeline.columns import ENTERPRISE_ATTRIBUTES, METRICS, encoded
from tracker.pipeline.fetch import fetch_columns, int8_array
from tracker.rules import FactTable
from tracker.rules.facts import day_number
from tracker.rules.fields import CLUSTER_GROUPS

# Windows reach four years before the assessment year (the gazelle rule's four-year growth).
YEARS_BACK = 4


def per_cluster_tiers() -> frozenset[str]:
    """Tiers designated per cluster (``Tier.per_cluster``, data): evaluated once per membership."""
    return frozenset(Tier.objects.filter(per_cluster=True).values_list("code", flat=True))


def split_tiers(tiers, per_cluster: frozenset[str]) -> tuple[list[str], list[str]]:
    """(tiers evaluated per enterprise, tiers evaluated per cluster membership), order kept."""
    return [t for t in tiers if t not in per_cluster], [t for t in tiers if t in per_cluster]


@dataclass
class ChunkFacts:
    """Facts of one slice: enterprise rows, and enterprise × cluster rows for per-cluster tiers."""

    enterprise_ids: np.ndarray  # sorted int64
    region_codes: np.ndarray  # object array of GB/T 2260 codes, one per enterprise row
    facts: FactTable
    member_rows: np.ndarray  # enterprise row index of each membership row
    member_cluster_ids: np.ndarray  # int64
    cluster_facts: FactTable


@dataclass
class Held:
    """Designations held on the evaluation date: per tier, a bool column and the grant day (NaN when
    not held) of the title, the latest one when several are held."""

    held: dict[str, np.ndarray]
    granted: dict[str, np.ndarray]

    def take(self, rows: np.ndarray) -> Held:
        return Held({k: v[rows] for k, v in self.held.items()}, {k: v[rows] for k, v in self.granted.items()})


@dataclass
class Profiles:
    """Everything about a slice except its annual metrics: the enterprise rows, the designations
    held on the evaluation date and the cluster memberships. Small next to the metrics, so it is
    always read in full; the metrics are read only for the enterprises that need evaluating."""

    enterprise_ids: np.ndarray  # sorted int64
    region_codes: np.ndarray
    attributes: dict[str, np.ndarray]
    held: Held  # enterprise tiers, per enterprise row
    member_held: Held  # per-cluster tiers, per membership row
    member_rows: np.ndarray
    member_cluster_ids: np.ndarray
    member_groups: np.ndarray

    def take(self, rows: np.ndarray) -> Profiles:
        """The profiles of the enterprise rows ``rows`` (sorted), with their memberships."""
        keep = np.flatnonzero(np.isin(self.member_rows, rows))
        return Profiles(
            enterprise_ids=self.enterprise_ids[rows],
            region_codes=self.region_codes[rows],
            attributes={k: v[rows] for k, v in self.attributes.items()},
            held=self.held.take(rows),
            member_held=self.member_held.take(keep),
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
                return f"{column} = ANY(%s::int8[])", [int8_array(self.enterprise_ids)]
            marks = ", ".join(["%s"] * len(self.enterprise_ids))
            return f"{column} IN ({marks})", list(self.enterprise_ids)
        return f"{column} BETWEEN %s AND %s", [self.first_id, self.last_id]

    def narrowed(self, enterprise_ids: np.ndarray) -> Slice:
        return Slice(self.first_id, self.last_id, tuple(int(i) for i in enterprise_ids))

    def registered(self) -> Slice:
        """The slice without archived enterprises, which no run evaluates (their results were withdrawn
        when they were archived: services/enterprise_archive.py). Unchanged when none is archived (one
        query on the primary key's range), else narrowed to the registered ids, so that every query
        after this one reads them alone."""
        e = Enterprise._meta.db_table
        where, params = self.where("e.id")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {e} e WHERE {where} AND e.archived_at IS NOT NULL", params)
            if not cursor.fetchone()[0]:
                return self
            cursor.execute(f"SELECT e.id FROM {e} e WHERE {where} AND e.archived_at IS NULL ORDER BY e.id", params)
            return self.narrowed(np.array([row[0] for row in cursor.fetchall()], dtype=np.int64))


def fiscal_years(fiscal_year: int) -> list[int]:
    return list(range(fiscal_year - YEARS_BACK, fiscal_year + 1))


def load_chunk_facts(
    *, part: Slice, fiscal_year: int, as_of: dt.date, cluster_ranks: RevenueRanks, per_cluster: frozenset[str]
) -> ChunkFacts:
    """Read everything the engine needs for ``part`` with a handful of set-based queries."""
    part = part.registered()
    profiles = load_profiles(part=part, as_of=as_of, per_cluster=per_cluster)
    metrics = load_metrics(part=part, ids=profiles.enterprise_ids, fiscal_year=fiscal_year)
    return assemble(profiles, metrics=metrics.columns, fiscal_year=fiscal_year, cluster_ranks=cluster_ranks)


def load_profiles(*, part: Slice, as_of: dt.date, per_cluster: frozenset[str]) -> Profiles:
    vendor = connection.vendor
    ids, region_codes, attributes = _enterprises(part, vendor)
    member_rows, member_clusters, member_groups = _memberships(part, ids)
    held, member_held = _designations(part, ids, as_of, per_cluster, ids[member_rows], member_clusters)
    return Profiles(ids, region_codes, attributes, held, member_held, member_rows, member_clusters, member_groups)


@dataclass
class Metrics:
    """The metrics of a slice as engine columns, with the server's fingerprint of them per enterprise
    row (on PostgreSQL, when asked for): the XOR of a hash of each metrics row, and the row count."""

    columns: dict[str, dict[int, np.ndarray]]
    fingerprint: np.ndarray | None = None  # int64
    row_count: np.ndarray | None = None  # float64


# Each metrics row's hash of its year and metrics (NULLs included), kept with the row by PostgreSQL on
# every write (migration 0032), so a change is seen even when made around the services. The input
# digests combine them per enterprise.
METRICS_ROW_HASH = "m.row_hash"


def load_metrics(*, part: Slice, ids: np.ndarray, fiscal_year: int, fingerprint: bool = False) -> Metrics:
    return _metrics(part, connection.vendor, ids, fiscal_years(fiscal_year), fingerprint)


def assemble(
    profiles: Profiles,
    *,
    metrics: dict[str, dict[int, np.ndarray]],
    fiscal_year: int,
    cluster_ranks: RevenueRanks,
    revenue: np.ndarray | None = None,
) -> ChunkFacts:
    """The engine's fact tables. Revenue ranks use each enterprise's revenue in ``metrics``, or
    ``revenue`` (per enterprise row) when the metrics were not loaded."""
    ids = profiles.enterprise_ids
    facts = FactTable.from_columns(
        n=len(ids),
        attributes=profiles.attributes,
        metrics=metrics,
        designations=profiles.held.held,
        granted=profiles.held.granted,
    )
    rows = profiles.member_rows
    # One row per membership: the enterprise's facts, its place in that cluster, and the per-cluster
    # titles it holds there (beside the enterprise titles it holds anyway).
    members = facts.take(rows)
    own_revenue = (facts.metric("revenue", fiscal_year) if revenue is None else revenue)[rows]
    members.attributes["cluster_group"] = profiles.member_groups
    members.attributes["revenue_rank_in_cluster"] = cluster_ranks.rank(
        fiscal_year, profiles.member_cluster_ids, own_revenue
    )
    members.designations.update(profiles.member_held.held)
    members.granted.update(profiles.member_held.granted)
    return ChunkFacts(ids, profiles.region_codes, facts, rows, profiles.member_cluster_ids, members)


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


def _designations(
    part: Slice,
    ids: np.ndarray,
    as_of: dt.date,
    per_cluster: frozenset[str],
    member_enterprises: np.ndarray,
    member_clusters: np.ndarray,
) -> tuple[Held, Held]:
    """The titles held on as_of with the day each was granted (the read layer's ``held_titles``): per
    enterprise row for enterprise tiers, per membership row (enterprise, cluster) for per-cluster tiers."""
    where = {"enterprise_id__in": part.enterprise_ids} if part.enterprise_ids is not None else {
        "enterprise_id__gte": part.first_id, "enterprise_id__lte": part.last_id
    }
    titles = Designation.objects.filter(**where).held_titles(as_of)
    return held_from_titles(
        titles.values_list("enterprise_id", "tier_id", "cluster_id", "granted_on"),
        ids, per_cluster, member_enterprises, member_clusters,
    )


def held_from_titles(
    titles, ids: np.ndarray, per_cluster: frozenset[str], member_enterprises: np.ndarray, member_clusters: np.ndarray
) -> tuple[Held, Held]:
    """Place (enterprise, tier, cluster, granted_on) rows of held titles: per enterprise row for
    enterprise tiers, per membership row for per-cluster tiers (a report's past facts use it too)."""
    by_enterprise = Held({}, {})
    by_member = Held({}, {})
    member_keys = member_enterprises.astype(np.int64) * 1_000_000 + member_clusters
    member_order = np.argsort(member_keys)
    for enterprise_id, tier_id, cluster_id, granted_on in titles:
        if tier_id in per_cluster:
            target, n = by_member, len(member_keys)
            found = np.searchsorted(member_keys, enterprise_id * 1_000_000 + (cluster_id or 0), sorter=member_order)
            if found >= n or member_keys[member_order[min(found, n - 1)]] != enterprise_id * 1_000_000 + (
                cluster_id or 0
            ):
                continue  # a title for a cluster the enterprise is no longer a member of
            row = member_order[found]
        else:
            target, n = by_enterprise, len(ids)
            row = np.searchsorted(ids, enterprise_id)
        held = target.held.setdefault(tier_id, np.zeros(n, dtype=bool))
        granted = target.granted.setdefault(tier_id, np.full(n, np.nan))
        held[row] = True
        granted[row] = np.fmax(granted[row], day_number(granted_on))
    return by_enterprise, by_member


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
