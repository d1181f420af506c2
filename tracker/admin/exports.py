"""Excel out: every changelist exports what is on screen — its filters, search, ordering and the
reader's scope — in the official column order (tracker/admin/export_columns.py).

The rows come from the changelist's own queryset (``ChangeList.queryset``, which starts from
``visible_to(request.user)``), read as ``values()`` with a server-side cursor in chunks: no model
instance is built, and memory stays bounded whatever the number of rows. openpyxl's write-only
workbook writes them into a temporary file, which the response then streams in blocks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from itertools import islice

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tracker.admin.export_columns import FORMATS, ExportSpec
from tracker.xlsx import Table, write_tables

CHUNK_ROWS = 2000  # rows fetched per round trip, and decoded together (failing criteria)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(column, row: dict):
    value = column.convert(*(row[lookup] for lookup in column.lookups))
    if isinstance(value, Promise):
        return str(value)
    return value


def export_rows(spec: ExportSpec, queryset, *, user) -> Iterator[list]:
    """序号 and the spec's columns for every row of ``queryset``, chunk by chunk."""
    values = spec.prepare(queryset).values(*spec.lookups).iterator(chunk_size=CHUNK_ROWS)
    number = 0
    while chunk := list(islice(values, CHUNK_ROWS)):
        rows = spec.expand(chunk, user) if spec.expand else chunk
        for row in rows:
            number += 1
            yield [number, *(_cell(column, row) for column in spec.columns)]


def write_export(spec: ExportSpec, queryset, *, user, target) -> None:
    """Write the export as one sheet into ``target`` (a binary file)."""
    columns = spec.columns
    formats = {i + 1: FORMATS[c.kind] for i, c in enumerate(columns) if c.kind in FORMATS}
    table = Table(
        title=str(spec.title),
        headers=[str(_("序号")), *(str(c.header) for c in columns)],
        rows=export_rows(spec, queryset, user=user),
        widths=[6, *(c.width for c in columns)],
        text_columns=[i + 1 for i, c in enumerate(columns) if c.kind == "code"],
        number_formats=formats,
    )
    write_tables([table], target)


def export_response(spec: ExportSpec, queryset, *, user, filename: str) -> FileResponse:
    """The workbook, written to a temporary file and streamed from it (deleted once sent)."""
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes it once sent)
    try:
        write_export(spec, queryset, user=user, target=target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX)


class ExportMixin:
    """An "导出 Excel" button on a changelist (and more, e.g. 差距明细) for ``exports``:
    ``(kind, spec, label)``. The export link carries the changelist's query string."""

    exports: tuple[tuple[str, ExportSpec, object], ...] = ()
    changelist_class = None  # a ChangeList of the admin's own (instead of overriding get_changelist)

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_export"
        export = path("export/<slug:kind>/", self.admin_site.admin_view(self.export_view), name=name)
        return [export, *super().get_urls()]

    def export_links(self, request) -> list[tuple[str, str]]:
        opts = self.model._meta
        query = request.GET.urlencode()
        return [
            (
                reverse(f"admin:{opts.app_label}_{opts.model_name}_export", args=[kind])
                + (f"?{query}" if query else ""),
                str(label),
            )
            for kind, _spec, label in self.exports
        ]

    def get_changelist(self, request, **kwargs):
        changelist = self.changelist_class or super().get_changelist(request, **kwargs)
        if not getattr(request, "tidu_export", False):
            return changelist

        class Unpaged(changelist):
            def get_results(self, request):
                """No page, no count: the export reads every row itself (only the queryset is wanted)."""

        return Unpaged

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "export_links": self.export_links(request)}
        return super().changelist_view(request, extra_context)

    def export_view(self, request, kind: str):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        spec = next((spec for name, spec, _label in self.exports if name == kind), None)
        if spec is None:
            raise Http404
        opts = self.model._meta
        request.tidu_export = True  # the changelist's filters, search and order, without its page
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, _("筛选条件无效，未导出。"), messages.ERROR)
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return export_response(spec, changelist.queryset, user=request.user, filename=f"{spec.title}-{stamp}.xlsx")
