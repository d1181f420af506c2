"""Excel exports written in the background: the list of one's exports, each job's page (its progress,
refreshed by the page itself, then the download link) and the download.

A job is its requester's: another user — another city's, or a colleague's in the same office — finds
it "not found" on every page, as if it did not exist; a province admin sees them all
(``ExportJob.objects.visible_to``). The jobs are made by the export buttons (tracker/admin/exports.py)
and written by tracker/services/exports.py.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.http import FileResponse, Http404, QueryDict
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker.admin.jobs import JobAdminMixin
from tracker.models import ExportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@admin.register(ExportJob)
class ExportJobAdmin(JobAdminMixin, admin.ModelAdmin):
    list_display = ["job_display", "status", "rows", "requested_by", "created_at", "finished_at", "expires_at",
                    "download"]
    list_display_links = None
    list_filter = ["status"]
    list_select_related = ["requested_by"]
    list_per_page = 50
    job_page = "admin:tracker_exportjob_status"  # a job is made by a list's export button

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/status/", view(self.status_view), name="tracker_exportjob_status"),
            path("<int:pk>/download/", view(self.download_view), name="tracker_exportjob_download"),
            *super().get_urls(),
        ]

    @admin.display(description=_("导出"), ordering="pk")
    def job_display(self, job: ExportJob):
        url = reverse("admin:tracker_exportjob_status", args=[job.pk])
        return format_html('<a href="{}">#{} {}</a>', url, job.pk, job.title)

    @admin.display(description=_("已导出 / 行数"))
    def rows(self, job: ExportJob) -> str:
        return f"{job.rows_done:,} / {job.rows_total:,}"

    @admin.display(description=_("下载"))
    def download(self, job: ExportJob):
        if job.status != ExportJob.Status.DONE:
            return "—"
        url = reverse("admin:tracker_exportjob_download", args=[job.pk])
        return format_html('<a href="{}">{}</a>', url, job.filename)

    def status_view(self, request, pk):
        job = self._job(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "opts": self.model._meta,
            "job": job,
            "filters": filter_lines(job.query),
            "list_url": list_url(job),
            "percent": round(100 * job.rows_done / job.rows_total) if job.rows_total else 0,
        }
        return TemplateResponse(request, "admin/tracker/exportjob/status.html", context)

    def download_view(self, request, pk):
        job = self._job(request, pk)
        if job.status != ExportJob.Status.DONE or not job.file:
            raise Http404
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=XLSX)


def filter_lines(query: str) -> list[tuple[str, str]]:
    """The job's query string as (parameter, value) pairs, shown as asked."""
    return [(key, value) for key, values in QueryDict(query).lists() for value in values]


def list_url(job: ExportJob) -> str:
    """The list the job exports, with the same filters (empty when that list no longer exists)."""
    app_label, _dot, model_name = job.list_label.partition(".")
    try:
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:
        return ""
    params = filter_lines(job.query)
    return f"{url}?{urlencode(params)}" if params else url
