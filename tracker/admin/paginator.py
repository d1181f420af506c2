"""A changelist paginator that never counts a million rows on a page load.

Unfiltered: the table's estimate from pg_class.reltuples. Filtered: exact up to 1,000 matching rows
(a count that reads at most 1,001 of them), the planner's estimate beyond — the read layer's
``capped_count``, which the API's lists use too. Other databases count exactly.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from tracker.selectors import counts


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count
        if not queryset.query.where:
            estimate = self._table_estimate(connection, queryset.model._meta.db_table)
            if estimate > counts.COUNT_CAP:
                return estimate
        return counts.capped_count(queryset).value

    @staticmethod
    def _table_estimate(connection, table: str) -> int:
        # -1 (never analysed) is unknown: counted as small, so the capped count runs.
        return counts.table_estimate(connection.alias, table) or 0
