"""A changelist paginator that never runs an unfiltered COUNT(*) on a big PostgreSQL table.

Unfiltered: the planner's estimate from pg_class.reltuples. Filtered: an exact count under a short
statement_timeout, falling back to the planner's row estimate when the count would be slow
(an exact COUNT(*) took seconds per page at a million rows in other projects' admins). Other
databases count exactly.
"""

import json

from django.core.paginator import Paginator
from django.db import OperationalError, connections, transaction
from django.utils.functional import cached_property

# Below this many rows an exact count is cheap and staff prefer exact numbers.
EXACT_BELOW = 100_000
COUNT_TIMEOUT_MS = 150


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count
        if not queryset.query.where:
            estimate = self._table_estimate(connection, queryset.model._meta.db_table)
            if estimate >= EXACT_BELOW:
                return estimate
        try:
            with transaction.atomic(using=queryset.db), connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [COUNT_TIMEOUT_MS])
                return queryset.count()
        except OperationalError:
            return self._plan_estimate(connection, queryset)

    @staticmethod
    def _table_estimate(connection, table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
            row = cursor.fetchone()
        # -1 means the table was never analysed: treat as unknown (small) so we count exactly.
        return max(int(row[0]), 0) if row else 0

    @staticmethod
    def _plan_estimate(connection, queryset) -> int:
        sql, params = queryset.order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])
