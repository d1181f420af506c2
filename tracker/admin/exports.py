"""Excel out: every changelist exports what is on screen — its filters, search, ordering and the
reader's scope — in the official column order (tracker/admin/export_columns.py).

The rows come from the changelist's own queryset (``ChangeList.queryset``, which starts from
``visible_to(request.user)``), read as ``values()`` with a server-side cursor in chunks: no model
instance is built, and memory stays bounded whatever the number of rows. openpyxl's write-only
workbook writes them into a temporary file, which the response then streams in blocks.

A list of more rows than TIDU_EXPORT_INLINE_MAX_ROWS is not written in the request: the button queues
an export job (tracker/services/exports.py) and sends the user to its page. The worker rebuilds the
same changelist for the same user from the query string (``ExportMixin.list_export``), so the file
holds what the user may see, by the read layer, when it is written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect, QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tracker.admin.export_columns import FORMATS, ExportSpec
from tracker.selectors.counts import capped_count
from tracker.xlsx import Table, write_tables

CHUNK_ROWS = 2000  # rows fetched per round trip, and decoded together (failing criteria)
# Data rows per sheet: an xlsx sheet holds 1,048,576 rows, the header included. Longer exports
# continue on a second sheet (企业名录（2）…) rather than writing rows Excel would not open.
SHEET_ROWS = 1_048_575
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(column, row: dict):
    value = column.convert(*(row[lookup] for lookup in column.lookups))
    if isinstance(value, Promise):
        return str(value)
    return value


def export_rows(spec: ExportSpec, queryset, *, user, progress: Callable[[int], None] | None = None) -> Iterator[list]:
    """序号 and the spec's columns for every row of ``queryset``, chunk by chunk. ``progress`` is told
    how many rows of ``queryset`` have been read, once per chunk."""
    values = spec.prepare(queryset).values(*spec.lookups).iterator(chunk_size=CHUNK_ROWS)
    number = read = 0
    while chunk := list(islice(values, CHUNK_ROWS)):
        read += len(chunk)
        if progress is not None:
            progress(read)
        rows = spec.expand(chunk, user) if spec.expand else chunk
        for row in rows:
            number += 1
            yield [number, *(_cell(column, row) for column in spec.columns)]


def write_export(spec: ExportSpec, queryset, *, user, target, progress: Callable[[int], None] | None = None) -> None:
    """Write the export into ``target`` (a binary file): one sheet, or as many as its rows need."""
    columns = spec.columns
    formats = {i + 1: FORMATS[c.kind] for i, c in enumerate(columns) if c.kind in FORMATS}

    def sheet(title: str, rows) -> Table:
        return Table(
            title=title,
            headers=[str(_("序号")), *(str(c.header) for c in columns)],
            rows=rows,
            widths=[6, *(c.width for c in columns)],
            text_columns=[i + 1 for i, c in enumerate(columns) if c.kind == "code"],
            number_formats=formats,
        )

    rows = export_rows(spec, queryset, user=user, progress=progress)
    write_tables(_sheets(str(spec.title), rows, sheet), target)


_END = object()


def _sheets(title: str, rows: Iterator[list], sheet: Callable) -> Iterator[Table]:
    """The rows as sheets of at most SHEET_ROWS each. A sheet is asked for only after the previous
    one was written, so the rows stream through one shared iterator."""
    first, number = next(rows, _END), 1
    while True:
        name = title if number == 1 else f"{title}（{number}）"
        yield sheet(name, () if first is _END else chain([first], islice(rows, SHEET_ROWS - 1)))
        first, number = next(rows, _END), number + 1
        if first is _END:
            return


def export_filename(spec: ExportSpec) -> str:
    return f"{spec.title}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.xlsx"


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


@dataclass(frozen=True)
class ListExport:
    """One list's export for one user: the spec and the rows of the changelist they see (tracker.services.
    exports writes it for an export job)."""

    spec: ExportSpec
    queryset: QuerySet
    user: object

    def count(self) -> int:
        return self.queryset.count()

    def filename(self) -> str:
        return export_filename(self.spec)

    def write(self, target, progress: Callable[[int], None] | None = None) -> None:
        write_export(self.spec, self.queryset, user=self.user, target=target, progress=progress)


class ExportMixin:
    """An "导出 Excel" button on a changelist (and more, e.g. 差距明细) for ``exports``:
    ``(kind, spec, label)``. The export link carries the changelist's query string.

    Up to TIDU_EXPORT_INLINE_MAX_ROWS rows the file is the response; a longer list becomes an export
    job and the user is sent to its page (progress, then the download)."""

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

    def list_export(self, *, user, kind: str, query: str) -> ListExport:
        """What an export job of this list writes: the changelist ``user`` sees today at ``?query`` — its
        filters, search and order over ``visible_to(user)``, unpaged.

        Only the query string comes from the job; the user's permission and scope are read afresh, so a
        user who lost the list, or moved to another office, gets no more than they may see now."""
        spec = next((spec for name, spec, _label in self.exports if name == kind), None)
        if spec is None:
            raise LookupError(f"no export {kind!r} of {self.model._meta.label_lower}")
        request = HttpRequest()
        request.method = "GET"
        request.GET = QueryDict(query)
        request.user = user
        request.tidu_export = True
        if user is None or not self.has_view_or_change_permission(request):
            raise PermissionDenied(_("导出人已无权查看该列表，未导出。"))
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            raise PermissionDenied(_("筛选条件无效，未导出。")) from None
        return ListExport(spec=spec, queryset=changelist.queryset, user=user)

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
        limit = settings.TIDU["EXPORT_INLINE_MAX_ROWS"]
        # Reads at most limit + 1 rows of the list's own plan (an estimate beyond, on PostgreSQL).
        rows = capped_count(changelist.queryset, cap=limit)
        if rows.value > limit:
            return self._export_later(request, kind, spec, rows.value)
        return export_response(spec, changelist.queryset, user=request.user, filename=export_filename(spec))

    def _export_later(self, request, kind: str, spec: ExportSpec, rows: int):
        from tracker.services.exports import export_job_create

        job = export_job_create(
            user=request.user,
            list_label=self.model._meta.label_lower,
            kind=kind,
            title=str(spec.title),
            query=request.GET.urlencode(),
            rows_estimate=rows,
        )
        self.message_user(
            request,
            _("该列表约有 %(rows)s 行，将在后台导出：完成后可在本页下载，也可在“Excel 导出”中找到。")
            % {"rows": f"{rows:,}"},
            messages.INFO,
        )
        return HttpResponseRedirect(reverse("admin:tracker_exportjob_status", args=[job.pk]))
