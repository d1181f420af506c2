"""Tier reports in the admin: the list by date and scope, the report page (tables and charts), the xlsx
and PDF downloads, building one for a date and scope, rebuilding, the reader's own nightly-report
subscriptions, and the dashboard on the admin home.

Read-only: a report is written by ``report_build`` (tracker/services/reports.py) only — nightly, by the
command, the API, or the build page and the action here. Everything is read through
``TierReport.objects.visible_to(user)``: a city user's list, pages, downloads and dashboard hold only
their city's reports. The pages render the stored frame through the same context as the PDF
(tracker/reports/context.py).
"""

from __future__ import annotations

import io
from urllib.parse import quote

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker.admin.base import VisibleAdminMixin
from tracker.admin.report_build import build_view
from tracker.admin.report_subscriptions import my_subscriptions_view
from tracker.models import ReportSubscription, TierReport
from tracker.reports.context import report_context
from tracker.reports.frame import NoResults
from tracker.reports.sections import PAGE_ROWS, ReportFrame
from tracker.services.reports import report_build


def frame_of(report: TierReport) -> ReportFrame:
    """The whole frame: what the downloads render."""
    return ReportFrame.from_json(report.content)


def page_frame_of(report: TierReport) -> ReportFrame:
    """What a page shows: the stored head (each list's first rows). A report built before heads were
    stored has none: its page cuts the whole frame, as it always did."""
    if report.head:
        return ReportFrame.from_json(report.head)
    return ReportFrame.from_json(report.content).head(PAGE_ROWS)


def download_name(report: TierReport, extension: str) -> str:
    return f"梯度报告-{report.region.name}-{report.report_date:%Y%m%d}.{extension}"


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@admin.register(TierReport)
class TierReportAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ("report_date", "region", "data_date", "stale_label", "nightly", "built_at", "downloads")
    list_display_links = ("report_date", "region")
    list_filter = ("stale", "nightly", "region__level")
    list_select_related = ("region",)
    date_hierarchy = "report_date"
    search_fields = ("region__name", "region__code")
    actions = ["rebuild_selected"]

    def get_queryset(self, request):
        # The changelist never needs the frame (megabytes for the province); the page loads its head, a
        # download the whole frame.
        return super().get_queryset(request).defer("content", "head")

    def has_add_permission(self, request):
        return False  # built by report_build, not by a form

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a rebuild replaces a report; the ledger of reports is kept

    def has_build_permission(self, request):
        return request.user.has_perm("tracker.add_tierreport")

    @admin.display(description=_("数据"))
    def stale_label(self, report):
        return gettext("沿用上次结果") if report.stale else gettext("当晚结果")

    @admin.display(description=_("下载"))
    def downloads(self, report):
        return format_html('<a href="{}">xlsx</a> · <a href="{}">PDF</a>',
                           reverse("admin:tracker_tierreport_xlsx", args=[report.pk]),
                           reverse("admin:tracker_tierreport_pdf", args=[report.pk]))

    @admin.action(description=_("重新生成所选报告"), permissions=["build"])
    def rebuild_selected(self, request, queryset):
        built = 0
        for report in queryset.select_related("region"):  # a handful of reports, each a whole computation
            try:
                report_build(report_date=report.report_date, region_code=report.region.code, user=request.user)
            except (ValidationError, NoResults) as error:
                self.message_user(request, f"{report}：{_message(error)}", messages.ERROR)
                continue
            built += 1
        if built:
            self.message_user(request, gettext("已重新生成 %(count)d 份报告。") % {"count": built}, messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("build/", view(self.build_view), name="tracker_tierreport_build"),
            path("subscriptions/", view(self.subscriptions_view), name="tracker_tierreport_subscriptions"),
            path("<path:object_id>/xlsx/", view(self.xlsx_view), name="tracker_tierreport_xlsx"),
            path("<path:object_id>/pdf/", view(self.pdf_view), name="tracker_tierreport_pdf"),
            *super().get_urls(),
        ]

    def build_view(self, request):
        """A report for a date and scope, built now (tracker/admin/report_build.py)."""
        return build_view(self, request)

    def subscriptions_view(self, request):
        """The reader's own nightly-report subscriptions (tracker/admin/report_subscriptions.py)."""
        return my_subscriptions_view(self, request)

    def changelist_view(self, request, extra_context=None):
        tools = {"can_build": self.has_build_permission(request),
                 "build_url": reverse("admin:tracker_tierreport_build"),
                 "subscriptions_url": reverse("admin:tracker_tierreport_subscriptions")}
        return super().changelist_view(request, {**tools, **(extra_context or {})})

    def visible_report(self, request, object_id) -> TierReport:
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404(gettext("报告不存在。"))
        return report

    def xlsx_view(self, request, object_id):
        from tracker.reports.xlsx import render_xlsx

        report = self.visible_report(request, object_id)
        buffer = io.BytesIO()
        render_xlsx(frame_of(report), buffer)
        return attachment(buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          download_name(report, "xlsx"))

    def pdf_view(self, request, object_id):
        from tracker.reports.pdf import render_pdf

        report = self.visible_report(request, object_id)
        return attachment(render_pdf(frame_of(report)), "application/pdf", download_name(report, "pdf"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The report page: the sections as tables, with the charts (no form: reports are not edited)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = self.get_object(request, object_id)
        if report is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {
            **self.admin_site.each_context(request),
            **report_context(page_frame_of(report), cap=PAGE_ROWS),
            "opts": self.opts,
            "report": report,
            "title": gettext("%(scope)s梯度报告 %(date)s") % {"scope": report.region.name, "date": report.report_date},
            "xlsx_url": reverse("admin:tracker_tierreport_xlsx", args=[report.pk]),
            "pdf_url": reverse("admin:tracker_tierreport_pdf", args=[report.pk]),
            "can_rebuild": self.has_build_permission(request),
            "subscribed": ReportSubscription.objects.filter(user=request.user, region_id=report.region_id).first(),
            "subscriptions_url": reverse("admin:tracker_tierreport_subscriptions"),
            "changelist_url": reverse("admin:tracker_tierreport_changelist"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/tracker/tierreport/report.html", context)


def _message(error) -> str:
    return "；".join(error.messages) if isinstance(error, ValidationError) else str(error) or gettext("暂无评价结果。")


def latest_report(user) -> TierReport | None:
    """The newest report of the reader's own scope: on the newest date, the widest region they may see
    (the province for a province office, the city for a city office)."""
    return TierReport.objects.visible_to(user).select_related("region").defer("content").latest_first().first()


def dashboard(request) -> dict | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("tracker.view_tierreport"):
        return None
    report = latest_report(user)
    if report is None:
        return {"report": None}
    return {"report": report, "url": reverse("admin:tracker_tierreport_change", args=[report.pk]),
            **report_context(page_frame_of(report), cap=0)}


def report_dashboard(request) -> dict:
    """Context processor: the admin home's dashboard, computed only if a template reads it."""
    return {"report_dashboard": SimpleLazyObject(lambda: dashboard(request))}
