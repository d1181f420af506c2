"""Sorting a list of a million rows by the columns whose order an index serves, and by no other.

A click on a column header sorts the whole list: by a column no index holds in order, PostgreSQL reads
and sorts every row (a tier's million results by score: 1.3 s; every year's metrics by revenue: 1.2 s).
Each big list names the columns it may be sorted by (``sortable_by`` / ``get_sortable_by``), and this
ChangeList keeps to them: Django's own sorts by any column named in ``?o=`` whether its header offers it
or not. A column it may not sort by is dropped from ``?o=``; with none left, the list keeps its order.

A column whose order the read layer defines (``ModelAdmin.read_layer_orderings``: column →
``ordering(descending=…)``, e.g. the metrics by revenue with the blanks last) is sorted as the read
layer says, ties and blanks included, when it is the first column sorted by; the API orders the same
term the same way (``api.filtersets.OrderingFilter``).
"""

from django.contrib.admin.views.main import ORDER_VAR, ChangeList


class IndexedOrderChangeList(ChangeList):
    def get_ordering(self, request, queryset):
        requested = self.params.get(ORDER_VAR, "")
        allowed = ".".join(part for part in requested.split(".") if self._sortable(part))
        if allowed != requested:
            self.params = {name: value for name, value in self.params.items() if name != ORDER_VAR}
            if allowed:
                self.params[ORDER_VAR] = allowed
        return self._read_layer_ordering() or super().get_ordering(request, queryset)

    def _read_layer_ordering(self) -> list | None:
        first = self.params.get(ORDER_VAR, "").partition(".")[0]
        orderings = getattr(self.model_admin, "read_layer_orderings", {})
        try:
            column = self.list_display[int(first.rpartition("-")[2])]
        except (IndexError, ValueError):
            return None
        ordering = orderings.get(column)
        return ordering(descending=first.startswith("-")) if ordering else None

    def _sortable(self, part: str) -> bool:
        if self.sortable_by is None:
            return True
        try:
            return self.list_display[int(part.rpartition("-")[2])] in self.sortable_by
        except (IndexError, ValueError):
            return False
