"""A changelist paginator for tables of a million rows: no full count, and a page read in two steps.

The count: unfiltered, the table's estimate from pg_class.reltuples; filtered, exact up to 1,000
matching rows (a count that reads at most 1,001 of them), the planner's estimate beyond — the read
layer's ``capped_count``, which the API's lists use too. Other databases count exactly.

The page: first the ids of its rows, then those rows with their relations (``page``).
"""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
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

    def page(self, number):
        """The page's ids first — a narrow query the indexes can answer alone, however many rows the
        filters walk past before the page is full — then only those rows, with their related rows.

        Read in one step, every row walked on the way was fetched from the table with its enterprise:
        a city's eligible-but-not-designated results walked 280,000 enterprise rows (0.9 s at a
        million enterprises) to show 50 (docs/benchmarks.md, "Admin pages at 1M")."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.is_sliced:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(queryset.prefetch_related(None).values_list("pk", flat=True)[bottom:top])
        by_id = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)
