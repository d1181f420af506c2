"""Revenue ranks counted by the server, for a few members: what the cluster snapshot gives, without it.

An edit re-evaluates one enterprise, or a handful. Ranking its memberships from the worker-wide
snapshot (tracker/pipeline/cluster_ranks.py) means reading every member's revenue first — 3–4 s at a
million enterprises on a worker's first edit — and re-sorting 1.3 M memberships on every later one.
Here the server counts instead: for each (cluster, revenue) asked about, the members of that cluster
with a strictly larger revenue, in one query over the affected clusters only. The comparison is the
snapshot's (revenues as double precision, members without revenue not counted), so both paths give
the same rank; tests/test_cluster_ranks.py holds them to it.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from django.db import connection

from tracker.models import AnnualMetrics, ClusterMembership, Enterprise
from tracker.pipeline.fetch import fetch_columns


class CountedRanks:
    """``rank`` and ``revenue_of`` as on ``ClusterRevenueRanks``, for the chunk of one listed run.

    Counts already asked for are kept, so a chunk's digest check and its evaluation (which rank the
    same memberships with the same revenues, unless a save came in between) cost one count query.
    """

    def __init__(self) -> None:
        self._counted: dict[tuple[int, int, float], int] = {}

    def rank(self, fiscal_year: int, cluster_ids: np.ndarray, revenue: np.ndarray) -> np.ndarray:
        cluster_ids = np.asarray(cluster_ids, dtype=np.int64)
        revenue = np.asarray(revenue, dtype=np.float64)
        known = ~np.isnan(revenue)
        keys = [(fiscal_year, int(c), float(r)) for c, r in zip(cluster_ids[known], revenue[known], strict=True)]
        missing = sorted({key for key in keys if key not in self._counted})
        if missing:
            self._counted.update(zip(missing, larger_counts(fiscal_year, [k[1:] for k in missing]), strict=True))
        ranks = np.full(len(cluster_ids), np.nan)
        ranks[known] = [1 + self._counted[key] for key in keys]
        return ranks

    def revenue_of(self, fiscal_year: int, enterprise_ids: np.ndarray) -> np.ndarray:
        """Each enterprise's revenue (NaN when it is in no cluster or has none), read now."""
        ids = [int(i) for i in enterprise_ids]
        out = np.full(len(ids), np.nan)
        if not ids:
            return out
        m, a = ClusterMembership._meta.db_table, AnnualMetrics._meta.db_table
        marks = ", ".join(["%s"] * len(ids))
        data = fetch_columns(
            f"SELECT a.enterprise_id, CAST(a.revenue AS DOUBLE PRECISION) FROM {a} a "
            f"WHERE a.fiscal_year = %s AND a.revenue IS NOT NULL AND a.enterprise_id IN ({marks}) "
            f"AND EXISTS (SELECT 1 FROM {m} m WHERE m.enterprise_id = a.enterprise_id)",
            [fiscal_year, *ids],
            [("enterprise_id", "int8"), ("revenue", "float8")],
        )
        found = dict(zip(data["enterprise_id"].tolist(), data["revenue"].tolist(), strict=True))
        for row, enterprise_id in enumerate(ids):
            out[row] = found.get(enterprise_id, np.nan)
        return out


def larger_counts(fiscal_year: int, pairs: list[tuple[int, float]]) -> list[int]:
    """For each (cluster, revenue): how many members of the cluster have a larger revenue. One query;
    the server visits the members of the clusters asked about (the membership's cluster index), and
    each one's revenue in the (fiscal year, enterprise) index that carries it, without the table."""
    if not pairs:
        return []
    m, a, e = ClusterMembership._meta.db_table, AnnualMetrics._meta.db_table, Enterprise._meta.db_table
    values = ", ".join(["(%s, %s, CAST(%s AS DOUBLE PRECISION))"] * len(pairs))
    params: list = [v for i, (cluster_id, revenue) in enumerate(pairs) for v in (i, cluster_id, revenue)]
    # The clusters again as constants: the planner sees how many members it will visit.
    clusters = sorted({cluster_id for cluster_id, _ in pairs})
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH q (i, cluster_id, revenue) AS (VALUES {values}) "
            f"SELECT q.i, count(a.enterprise_id) FROM q "
            f"JOIN {m} m ON m.cluster_id = q.cluster_id AND m.cluster_id IN ({', '.join(['%s'] * len(clusters))}) "
            f"JOIN {e} e ON e.id = m.enterprise_id AND e.archived_at IS NULL "  # archived: not a member any more
            f"LEFT JOIN {a} a ON a.fiscal_year = %s AND a.enterprise_id = m.enterprise_id "
            f"AND CAST(a.revenue AS DOUBLE PRECISION) > q.revenue "
            f"GROUP BY q.i",
            [*params, *clusters, fiscal_year],
        )
        counted = dict(cursor.fetchall())
    # A cluster with no members at all has no row: nobody is larger.
    return [int(counted.get(i, 0)) for i in range(len(pairs))]


def revenue_rank(*, fiscal_year: int, cluster_id: int, revenue: float | None) -> int | None:
    """One member's rank (for explaining a single stored result): the same count as ``larger_counts``,
    asked the other way round. A chain leader sits near the top of its cluster, so walking the year's
    larger revenues (index ``metrics_revenue_in_year``) visits a few rows, where walking the cluster's
    members visits all of them (~50,000 at a million enterprises)."""
    if revenue is None or np.isnan(float(revenue)):
        return None
    m, a, e = ClusterMembership._meta.db_table, AnnualMetrics._meta.db_table, Enterprise._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {a} a "
            f"JOIN {m} m ON m.enterprise_id = a.enterprise_id AND m.cluster_id = %s "
            # Compared as numeric, so the index serves the range: a float's shortest repr is the
            # stored two-decimal value it was read from.
            f"WHERE a.fiscal_year = %s AND a.revenue > %s "
            # Archived: not a member any more. Asked of the archived enterprises' own index (a few
            # rows) rather than of every larger revenue's enterprise row: far down a large cluster
            # that is tens of thousands of rows (1.1 s of a result's page at a million enterprises).
            f"AND NOT EXISTS (SELECT 1 FROM {e} e WHERE e.id = a.enterprise_id AND e.archived_at IS NOT NULL)",
            [cluster_id, fiscal_year, Decimal(repr(float(revenue)))],
        )
        return 1 + cursor.fetchone()[0]
