"""Counting rows without counting a million of them: exact up to a cap, the planner's estimate beyond.

An exact ``COUNT(*)`` reads every matching row; at a million enterprises (8 million results) that was
the largest single cost of a list page in the API and the admin (docs/benchmarks.md). Here a count
reads at most ``cap + 1`` rows; past the cap the number is PostgreSQL's own estimate — of the table
(``pg_class.reltuples``) for an unfiltered list, of the query's plan otherwise — and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

# Exact counts up to here: a count reads at most this many rows (plus one) through the list's own plan.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class RowCount:
    value: int
    is_estimate: bool


def capped_count(queryset: QuerySet, *, cap: int | None = None) -> RowCount:
    """Exact when at most ``cap`` rows match (one query reading at most cap + 1 of them); otherwise the
    planner's estimate, never below cap + 1. Other databases than PostgreSQL count exactly."""
    cap = COUNT_CAP if cap is None else cap
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return RowCount(queryset.count(), False)
    exact = queryset.order_by().values("pk")[: cap + 1].count()
    if exact <= cap:
        return RowCount(exact, False)
    return RowCount(max(estimated_count(queryset), cap + 1), True)


def estimated_count(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of the rows ``queryset`` returns: the table's for an unfiltered query,
    the plan's otherwise (planning only; nothing is read)."""
    connection = connections[queryset.db]
    if not queryset.query.where:
        table = table_estimate(queryset.db, queryset.model._meta.db_table)
        if table is not None:
            return table
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def table_estimate(using: str, table: str) -> int | None:
    """``pg_class.reltuples`` of ``table``, or None when the table was never analysed."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] >= 0 else None
