"""Build a report for a date and scope from the admin, as ``manage.py tier_report`` and
``POST /api/v1/reports/`` do: the same service (``report_build``), the same region rule (a scope within
the builder's own region), then the report page or its xlsx or PDF."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker.admin.report_scopes import ScopeField
from tracker.reports.frame import NoResults
from tracker.services.reports import report_build

FORMATS = [("page", _("在管理后台查看")), ("xlsx", _("下载 xlsx")), ("pdf", _("下载 PDF"))]


class ReportBuildForm(forms.Form):
    report_date = forms.DateField(
        label=_("报告日期"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("报告显示该日或之前最近一次完成的全量评价结果；同一日期和范围已有的报告将被替换。"),
    )
    format = forms.ChoiceField(label=_("生成后"), choices=FORMATS, initial="page", widget=forms.RadioSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = ScopeField(user=user, empty_label=None,
                                           help_text=_("全省、设区市或县（市、区），须在您的管辖范围内。"))
        self.order_fields(["report_date", "region", "format"])


def build_view(model_admin, request):
    if not model_admin.has_build_permission(request):
        raise PermissionDenied
    form = ReportBuildForm(request.POST or None, user=request.user,
                           initial={"report_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = report_build(report_date=data["report_date"], region_code=data["region"].code, user=request.user)
        except ValidationError as error:
            form.add_error(None, error.messages)
        except NoResults as error:
            form.add_error("report_date", str(error) or gettext("暂无评价结果。"))
        else:
            if data["format"] == "xlsx":
                return model_admin.xlsx_view(request, str(report.pk))
            if data["format"] == "pdf":
                return model_admin.pdf_view(request, str(report.pk))
            model_admin.message_user(
                request, gettext("已生成%(scope)s %(date)s 的报告（用时 %(seconds).1f 秒）。") % {
                    "scope": report.region.name, "date": report.report_date, "seconds": report.build_seconds},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:tracker_tierreport_change", args=[report.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": gettext("生成梯度报告"),
        "form": form,
        "changelist_url": reverse("admin:tracker_tierreport_changelist"),
    }
    return TemplateResponse(request, "admin/tracker/tierreport/build.html", context)
