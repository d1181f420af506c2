"""Each member's revenue rank within its cluster: a worker-wide snapshot of every member's revenue."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
from django.db import connection
from django.utils import timezone

from tracker.models import AnnualMetrics, ClusterMembership, Enterprise
from tracker.pipeline.fetch import fetch_columns, is_postgresql

# Rows saved this long before the snapshot was read are re-read when it is patched: a transaction
# that stamped updated_at earlier but committed after the read is still picked up.
PATCH_MARGIN = dt.timedelta(minutes=10)


class ClusterRevenueRanks:
    """Revenue rank of each member within its cluster, for one fiscal year.

    A rank compares an enterprise with every member of the cluster, not just the chunk, so a worker
    reads every member's revenue once (one query: a few seconds at a million enterprises) and ranks
    by binary search. A full run reads it afresh. A run over listed enterprises — an edit, an
    incremental catch-up — patches the snapshot instead: the memberships and revenues of the listed
    enterprises, and of any whose metrics were saved since the snapshot, are read again, so an edit
    is ranked with current figures within seconds. The snapshot is read afresh after
    ``max_age_seconds`` whatever happens, which bounds what a change made around the services (no
    ``updated_at``, no on-change run) can leave stale; the nightly full run always reads it afresh.
    """

    def __init__(self, *, max_age_seconds: float = 1800.0):
        self.max_age_seconds = max_age_seconds
        self._year: int | None = None
        self._run_key: object = None
        self._loaded_at = 0.0
        self._read_at: dt.datetime | None = None
        # The snapshot: one row per membership with a revenue, as read (and patched).
        self._rows = {name: np.empty(0, dtype=np.int64) for name in ("cluster_id", "enterprise_id")}
        self._rows["revenue"] = np.empty(0)
        self._sorted: dict[int, np.ndarray] = {}
        self._members = np.empty(0, dtype=np.int64)
        self._member_revenue = np.empty(0)

    def for_run(self, run_key: object, *, enterprise_ids: np.ndarray | None = None) -> ClusterRevenueRanks:
        """Use the snapshot for a chunk of run ``run_key``; ``enterprise_ids`` are the chunk's listed
        enterprises (None for a full run's id range)."""
        new_run = run_key != self._run_key
        self._run_key = run_key
        if enterprise_ids is None:
            if new_run:
                self._year = None
        elif self._year is not None and self._fresh():
            self._patch(np.asarray(enterprise_ids, dtype=np.int64), with_saved_since=new_run)
        elif new_run:
            self._year = None
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

    def _refresh(self, fiscal_year: int) -> None:
        if self._year == fiscal_year and self._fresh():
            return
        self._read_at, self._loaded_at = timezone.now(), time.monotonic()
        self._rows = _member_revenues(fiscal_year, enterprise_ids=None)
        self._year = fiscal_year
        self._index()

    def _patch(self, enterprise_ids: np.ndarray, *, with_saved_since: bool) -> None:
        if with_saved_since:
            since = self._read_at - PATCH_MARGIN
            saved = AnnualMetrics.objects.filter(fiscal_year=self._year, updated_at__gte=since)
            enterprise_ids = np.union1d(enterprise_ids, list(saved.values_list("enterprise_id", flat=True)))
            self._read_at = timezone.now()
        fresh = _member_revenues(self._year, enterprise_ids=enterprise_ids)
        keep = ~np.isin(self._rows["enterprise_id"], enterprise_ids)
        self._rows = {name: np.concatenate([column[keep], fresh[name]]) for name, column in self._rows.items()}
        self._index()

    def _index(self) -> None:
        rows = self._rows
        self._members, first = np.unique(rows["enterprise_id"], return_index=True)
        self._member_revenue = rows["revenue"][first]
        order = np.lexsort((rows["revenue"], rows["cluster_id"]))
        clusters, revenue = rows["cluster_id"][order], rows["revenue"][order]
        bounds = np.flatnonzero(np.diff(clusters)) + 1
        self._sorted = {
            int(group[0]): rev
            for group, rev in zip(np.split(clusters, bounds), np.split(revenue, bounds), strict=True)
            if len(group)
        }


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
            sql, params = sql + " AND m.enterprise_id = ANY(%s)", [*params, ids]
        else:
            sql, params = sql + f" AND m.enterprise_id IN ({', '.join(['%s'] * len(ids))})", [*params, *ids]
    return fetch_columns(sql, params, [("cluster_id", "int8"), ("enterprise_id", "int8"), ("revenue", "float8")])


def revenue_rank(*, fiscal_year: int, cluster_id: int, revenue: float | None) -> int | None:
    """One member's rank, counted by the server: what ``ClusterRevenueRanks.rank`` gives for it,
    without reading every member's revenue (for explaining a single stored result)."""
    if revenue is None or np.isnan(float(revenue)):
        return None
    m, a, e = ClusterMembership._meta.db_table, AnnualMetrics._meta.db_table, Enterprise._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {m} m JOIN {a} a ON a.enterprise_id = m.enterprise_id AND a.fiscal_year = %s "
            f"JOIN {e} e ON e.id = m.enterprise_id AND e.archived_at IS NULL "
            f"WHERE m.cluster_id = %s AND a.revenue > %s",
            [fiscal_year, cluster_id, float(revenue)],
        )
        return 1 + cursor.fetchone()[0]
