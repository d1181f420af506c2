"""Pages of a list that cost the same at a thousand rows or a million (README, "API in one minute").

Two ways through a list, on every list route:

- page numbers (``?page=3&page_size=100``): the page is read with one row more than it shows, so
  ``next`` needs no count; ``count`` is exact up to 1,000 matching rows and PostgreSQL's estimate
  beyond, and ``count_is_estimate`` says which. A deep page still skips its offset row by row;
- a cursor (``?cursor=`` to start, then each response's ``next``): rows in ``id`` order, each page
  found through the primary key from where the last one ended — the same cost on the first page and
  the last. For integrators who copy a whole list; ``ordering`` does not apply, and there is no count.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from tracker.selectors.counts import COUNT_CAP, RowCount, capped_count

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
INVALID_PAGE = _("页码无效：请使用正整数。")
NO_SUCH_PAGE = _("第 %(page)s 页没有数据。")
INVALID_PAGE_SIZE = _("每页条数须为正整数；超过 %(max)s 的按 %(max)s 条计。")
PAGE_SIZE_PARAM = "page_size"
CURSOR_AND_PAGE = _("cursor 与 page 不能同时使用：按游标翻页时请只传 cursor（下一页见响应中的 next）。")
ONE_CURSOR = _("cursor 只能传一个。")


def requested_page_size(request, *, default: int, maximum: int) -> int:
    """``?page_size=``: absent or empty, the default; above the maximum, the maximum; anything but a
    positive integer is a 400 naming it (DRF would quietly serve the default instead)."""
    raw = request.query_params.get(PAGE_SIZE_PARAM, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
        raise ValidationError({PAGE_SIZE_PARAM: [INVALID_PAGE_SIZE % {"max": maximum}]})
    return min(int(raw), maximum)


class IdCursorPagination(CursorPagination):
    """Keyset pages in primary-key order (unique and never reused, so no row is skipped or repeated; a
    tier's key is its code)."""

    ordering = ("pk",)
    page_size = PAGE_SIZE
    page_size_query_param = PAGE_SIZE_PARAM
    max_page_size = MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        return self.ordering

    def get_page_size(self, request):
        return requested_page_size(request, default=self.page_size, maximum=self.max_page_size)


class StandardPagination(PageNumberPagination):
    """Page numbers with a cheap count, or a cursor when ``cursor`` is given (module docstring)."""

    page_size = PAGE_SIZE
    page_size_query_param = PAGE_SIZE_PARAM
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"

    def get_page_size(self, request):
        return requested_page_size(request, default=self.page_size, maximum=self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor = None
        if self.cursor_query_param in request.query_params:
            # One way through the list at a time: a page number beside a cursor, or two cursors, would
            # be silently ignored (the cursor wins; DRF reads the last of repeated values).
            if self.page_query_param in request.query_params:
                raise ValidationError({self.page_query_param: [CURSOR_AND_PAGE]})
            if len(request.query_params.getlist(self.cursor_query_param)) > 1:
                raise ValidationError({self.cursor_query_param: [ONE_CURSOR]})
            self.cursor = IdCursorPagination()
            return self.cursor.paginate_queryset(queryset, request, view)
        self.request = request
        self.page_size = self.get_page_size(request)
        self.number = self._page_number(request)
        offset = (self.number - 1) * self.page_size
        rows = list(queryset[offset : offset + self.page_size + 1])
        if not rows and self.number > 1:
            raise NotFound(NO_SUCH_PAGE % {"page": self.number})
        self.has_next = len(rows) > self.page_size
        rows = rows[: self.page_size]
        # On the last page the count is known without asking.
        self.count = capped_count(queryset) if self.has_next else RowCount(offset + len(rows), False)
        return rows

    def _page_number(self, request) -> int:
        raw = request.query_params.get(self.page_query_param, "1")
        if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 10**9:
            raise NotFound(INVALID_PAGE)
        return int(raw)

    def get_paginated_response(self, data):
        if self.cursor is not None:
            return self.cursor.get_paginated_response(data)
        return Response(
            {
                "count": self.count.value,
                "count_is_estimate": self.count.is_estimate,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self):
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "example": 123,
                    "description": f"Matching rows (page numbers only): exact up to {COUNT_CAP:,}, "
                    "PostgreSQL's estimate beyond (count_is_estimate).",
                },
                "count_is_estimate": {
                    "type": "boolean",
                    "description": "True when more than the cap matched and `count` is an estimate.",
                },
                "next": {**link, "description": "The next page (page number or cursor), null on the last."},
                "previous": {**link, "description": "The previous page, null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Walk the whole list in id order at constant cost per page: give an empty "
                "`cursor=` for the first page, then follow `next`. `page` and `ordering` are ignored; no count.",
                "schema": {"type": "string"},
            }
        )
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                # No maximum in the schema: a larger size is served as the maximum, not refused.
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = f"Rows per page: {PAGE_SIZE} by default, at most {MAX_PAGE_SIZE}."
        return parameters

