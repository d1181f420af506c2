"""Revenue ranks counted by the server, for a few members: what the cluster snapshot gives, without it.

An edit re-evaluates one enterprise, or a handful. Ranking its memberships from the worker-wide
snapshot (tracker/pipeline/cluster_ranks.py) means reading every member's revenue first — 3–4 s at a
million enterprises on a worker's first edit — and re-sorting 1.3 M memberships on every later one.
Here the server counts instead: for each (cluster, revenue) asked about, the members of that cluster
with a strictly larger revenue, in one query. The members' revenues are kept in rank order by the
database (``MemberRevenue``, tracker/models/member_revenue.py), so each count is one index range. The
comparison is the snapshot's (revenues as double precision, members without revenue or archived not
counted), so both paths give the same rank; tests/test_cluster_ranks.py holds them to it.
"""

from __future__ import annotations

import numpy as np
from django.db import connection

from tracker.models.member_revenue import TABLE
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
        """Each enterprise's revenue (NaN when it is in no cluster, is archived or has none), read now."""
        ids = [int(i) for i in enterprise_ids]
        out = np.full(len(ids), np.nan)
        if not ids:
            return out
        marks = ", ".join(["%s"] * len(ids))
        data = fetch_columns(
            f"SELECT DISTINCT r.enterprise_id, r.revenue FROM {TABLE} r "
            f"WHERE r.fiscal_year = %s AND r.enterprise_id IN ({marks})",
            [fiscal_year, *ids],
            [("enterprise_id", "int8"), ("revenue", "float8")],
        )
        found = dict(zip(data["enterprise_id"].tolist(), data["revenue"].tolist(), strict=True))
        for row, enterprise_id in enumerate(ids):
            out[row] = found.get(enterprise_id, np.nan)
        return out


def larger_counts(fiscal_year: int, pairs: list[tuple[int, float]]) -> list[int]:
    """For each (cluster, revenue): how many members of the cluster have a larger revenue. One query;
    for each pair the server counts one range of the (fiscal year, cluster, revenue) index, without
    the table (as far as vacuum keeps its pages all-visible)."""
    if not pairs:
        return []
    values = ", ".join(["(%s, %s, CAST(%s AS DOUBLE PRECISION))"] * len(pairs))
    params: list = [v for i, (cluster_id, revenue) in enumerate(pairs) for v in (i, cluster_id, revenue)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH q (i, cluster_id, revenue) AS (VALUES {values}) "
            f"SELECT q.i, (SELECT count(*) FROM {TABLE} r "
            f"WHERE r.fiscal_year = %s AND r.cluster_id = q.cluster_id AND r.revenue > q.revenue) FROM q",
            [*params, fiscal_year],
        )
        counted = dict(cursor.fetchall())
    return [int(counted[i]) for i in range(len(pairs))]


def revenue_rank(*, fiscal_year: int, cluster_id: int, revenue: float | None) -> int | None:
    """One member's rank (for explaining a single stored result): the same count."""
    if revenue is None or np.isnan(float(revenue)):
        return None
    return 1 + larger_counts(fiscal_year, [(cluster_id, float(revenue))])[0]
