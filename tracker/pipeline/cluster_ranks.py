"""Each member's revenue rank within its cluster: a worker-wide snapshot of every member's revenue."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol

import numpy as np
from django.db import connection
from django.utils import timezone

from tracker.models import AnnualMetrics, ClusterMembership, Enterprise
from tracker.pipeline.counted_ranks import CountedRanks
from tracker.pipeline.fetch import fetch_columns, int8_array, is_postgresql

# A run listing at most this many enterprises (an edit, a small batch) has its ranks counted by the
# server over the affected clusters (tracker/pipeline/counted_ranks.py) instead of from the snapshot.
COUNTED_UP_TO = 20

# When the patch cannot bound late commits by the transactions open at the read (it does not see
# other roles' sessions), it re-reads the rows saved this long before the snapshot.
BLIND_PATCH_MARGIN = dt.timedelta(minutes=10)
# Else: the rows saved since the oldest transaction open at the read began, less this margin for
# an application host's clock behind the database's and for a row stamped just before its
# transaction's first statement.
PATCH_MARGIN = dt.timedelta(seconds=5)


class RevenueRanks(Protocol):
    def rank(self, fiscal_year: int, cluster_ids: np.ndarray, revenue: np.ndarray) -> np.ndarray: ...

    def revenue_of(self, fiscal_year: int, enterprise_ids: np.ndarray) -> np.ndarray: ...


class ClusterRevenueRanks:
    """Revenue rank of each member within its cluster, for one fiscal year.

    A rank compares an enterprise with every member of the cluster, not just the chunk, so a worker
    reads every member's revenue once (one query: a few seconds at a million enterprises) and ranks
    by binary search. A full run reads it afresh. A run over a few listed enterprises (an edit) does
    not use it: the server counts those ranks (``CountedRanks``), so a worker's first edit does not
    wait for the snapshot. A larger listed run — an incremental catch-up, an import — patches the
    snapshot: the memberships and revenues of the listed enterprises, of those an edit re-ranked
    since, and of any whose metrics were saved since the snapshot was read, are read again. A row
    saved by a transaction that committed after the read is picked up: "since" starts when the
    oldest transaction then open began. A patch costs the patched members and a copy of the arrays,
    not a sort of the whole snapshot (an incremental run patches it once per chunk: at 10M, 20 times
    a snapshot of 13M memberships). A run that starts more than ``max_age_seconds`` after the read
    reads it afresh, which bounds what a change made around the services (no ``updated_at``, no
    on-change run) can leave stale; the nightly full run always reads it afresh, and a run keeps the
    snapshot it started with to its end (a cold run at 10M outlasts the age).
    """

    def __init__(self, *, max_age_seconds: float = 1800.0):
        self.max_age_seconds = max_age_seconds
        self._year: int | None = None
        self._run_key: object = None
        self._loaded_at = 0.0
        self._read_since: dt.datetime | None = None
        self._forget()
        # Enterprises edited (and ranked by counting) since the snapshot: patched in on its next use.
        self._edited: set[int] = set()

    def for_run(self, run_key: object, *, enterprise_ids: np.ndarray | None = None) -> RevenueRanks:
        """The ranks for a chunk of run ``run_key``; ``enterprise_ids`` are the chunk's listed
        enterprises (None for a full run's id range)."""
        new_run = run_key != self._run_key
        self._run_key = run_key
        if enterprise_ids is not None and len(enterprise_ids) <= COUNTED_UP_TO:
            self._edited.update(int(i) for i in enterprise_ids)
            return CountedRanks()
        if enterprise_ids is None:
            if new_run:
                self._year = None
        elif self._year is None or (new_run and not self._fresh()):
            self._year = None  # read afresh on first use
        else:
            self._patch(np.asarray(enterprise_ids, dtype=np.int64), with_saved_since=new_run)
        return self

    def invalidate(self) -> None:
        self._year = None

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

    def revenue_of(self, fiscal_year: int, enterprise_ids: np.ndarray) -> np.ndarray:
        """Each enterprise's revenue as these ranks saw it (NaN when it is in no cluster or has none)."""
        self._refresh(fiscal_year)
        if not len(self._members):
            return np.full(len(enterprise_ids), np.nan)
        pos = np.minimum(np.searchsorted(self._members, enterprise_ids), len(self._members) - 1)
        return np.where(self._members[pos] == enterprise_ids, self._member_revenue[pos], np.nan)

    def _fresh(self) -> bool:
        return time.monotonic() - self._loaded_at < self.max_age_seconds

    def _forget(self) -> None:
        # The snapshot: one row per membership with a revenue, sorted by enterprise and cluster (as
        # read, then patched); each cluster's revenues ascending; each member's revenue.
        self._rows = {name: np.empty(0, dtype=np.int64) for name in ("cluster_id", "enterprise_id")}
        self._rows["revenue"] = np.empty(0)
        self._sorted: dict[int, np.ndarray] = {}
        self._members = np.empty(0, dtype=np.int64)
        self._member_revenue = np.empty(0)

    def _refresh(self, fiscal_year: int) -> None:
        if self._year == fiscal_year:
            return
        self._forget()  # the old snapshot is not held beside the new one while it is read
        self._read_since, self._loaded_at = _saved_since_bound(), time.monotonic()
        rows = _member_revenues(fiscal_year, enterprise_ids=None)
        self._rows = _by_member(rows)
        self._edited = set()
        self._year = fiscal_year
        self._index()

    def _patch(self, enterprise_ids: np.ndarray, *, with_saved_since: bool) -> None:
        if with_saved_since:
            since, self._read_since = self._read_since, _saved_since_bound()
            saved = AnnualMetrics.objects.filter(fiscal_year=self._year, updated_at__gte=since)
            enterprise_ids = np.union1d(enterprise_ids, list(saved.values_list("enterprise_id", flat=True)))
        if self._edited:
            enterprise_ids = np.union1d(enterprise_ids, np.fromiter(self._edited, dtype=np.int64))
            self._edited = set()
        ids = np.unique(enterprise_ids)
        self._replace(ids, _by_member(_member_revenues(self._year, enterprise_ids=ids)))

    def _replace(self, ids: np.ndarray, fresh: dict[str, np.ndarray]) -> None:
        """Swap the rows of members ``ids`` (sorted) for ``fresh`` (``_by_member``): each
        touched cluster loses the old revenues and gains the new ones in place, so the cost is the
        members patched plus copies of the arrays, never a sort of the whole snapshot."""
        rows = self._rows
        old = _positions(rows["enterprise_id"], ids)
        old_clusters, old_revenue = rows["cluster_id"][old], rows["revenue"][old]
        for cluster_id in np.union1d(old_clusters, fresh["cluster_id"]):
            ascending = self._sorted.get(int(cluster_id), np.empty(0))
            ascending = _remove_values(ascending, np.sort(old_revenue[old_clusters == cluster_id]))
            added = np.sort(fresh["revenue"][fresh["cluster_id"] == cluster_id])
            ascending = np.insert(ascending, np.searchsorted(ascending, added), added)
            if len(ascending):
                self._sorted[int(cluster_id)] = ascending
            else:
                self._sorted.pop(int(cluster_id), None)
        kept = np.delete(rows["enterprise_id"], old)
        at = np.searchsorted(kept, fresh["enterprise_id"])
        self._rows = {name: np.insert(np.delete(column, old), at, fresh[name]) for name, column in rows.items()}
        self._index_members()

    def _index(self) -> None:
        rows = self._rows
        order = np.lexsort((rows["revenue"], rows["cluster_id"]))
        clusters, revenue = rows["cluster_id"][order], rows["revenue"][order]
        bounds = np.flatnonzero(np.diff(clusters)) + 1
        self._sorted = {
            int(group[0]): rev
            for group, rev in zip(np.split(clusters, bounds), np.split(revenue, bounds), strict=True)
            if len(group)
        }
        self._index_members()

    def _index_members(self) -> None:
        """Each member's revenue: the first of its rows (the rows are sorted by enterprise; a
        member's revenue is the same in each of its clusters)."""
        members = self._rows["enterprise_id"]
        first = np.flatnonzero(np.diff(members, prepend=members[:1] - 1)) if len(members) else members
        self._members, self._member_revenue = members[first], self._rows["revenue"][first]


def _by_member(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows in (enterprise, cluster) order: a snapshot read afresh and one patched are then the same
    arrays, whatever order the database returned a member's clusters in."""
    order = np.lexsort((rows["cluster_id"], rows["enterprise_id"]))
    return {name: column[order] for name, column in rows.items()}


def _positions(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Every position of ``sorted_keys`` holding one of ``keys``."""
    lo, hi = np.searchsorted(sorted_keys, keys, "left"), np.searchsorted(sorted_keys, keys, "right")
    counts = hi - lo
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return starts + np.arange(counts.sum())


def _remove_values(ascending: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``ascending`` without one occurrence of each of ``values`` (sorted; each present): equal
    values take consecutive positions from the first."""
    if not len(values):
        return ascending
    repeat = np.arange(len(values)) - np.searchsorted(values, values, "left")
    return np.delete(ascending, np.searchsorted(ascending, values, "left") + repeat)


def _member_revenues(fiscal_year: int, *, enterprise_ids: np.ndarray | None) -> dict[str, np.ndarray]:
    m, a, e = ClusterMembership._meta.db_table, AnnualMetrics._meta.db_table, Enterprise._meta.db_table
    sql = (
        f"SELECT CAST(m.cluster_id AS BIGINT), CAST(m.enterprise_id AS BIGINT), "
        f"CAST(a.revenue AS DOUBLE PRECISION) FROM {m} m JOIN {a} a "
        f"ON a.enterprise_id = m.enterprise_id AND a.fiscal_year = %s "
        f"JOIN {e} e ON e.id = m.enterprise_id AND e.archived_at IS NULL "  # archived: not a member any more
        f"WHERE a.revenue IS NOT NULL"
    )
    params: list = [fiscal_year]
    if enterprise_ids is not None:
        ids = [int(i) for i in enterprise_ids]
        if not ids:
            return {"cluster_id": np.empty(0, dtype=np.int64), "enterprise_id": np.empty(0, dtype=np.int64),
                    "revenue": np.empty(0)}
        if is_postgresql():
            sql, params = sql + " AND m.enterprise_id = ANY(%s::int8[])", [*params, int8_array(ids)]
        else:
            sql, params = sql + f" AND m.enterprise_id IN ({', '.join(['%s'] * len(ids))})", [*params, *ids]
    return fetch_columns(sql, params, [("cluster_id", "int8"), ("enterprise_id", "int8"), ("revenue", "float8")])


def _saved_since_bound() -> dt.datetime:
    """Taken before a read: every row the read cannot see (committed after it) was saved at or after
    the returned time. Such a row's transaction was open at this moment or began later, and a row is
    stamped after its transaction began — so the bound is when the oldest transaction open now in
    this database began, less ``PATCH_MARGIN``."""
    if not is_postgresql():
        return timezone.now() - BLIND_PATCH_MARGIN
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT clock_timestamp(), min(xact_start), bool_or(query = '<insufficient privilege>') "
            "FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()"
        )
        now, oldest, blind = cursor.fetchone()
    if blind:  # sessions of other roles hide their transactions: fall back to a wide margin
        return now - BLIND_PATCH_MARGIN
    return min(now, oldest or now) - PATCH_MARGIN
