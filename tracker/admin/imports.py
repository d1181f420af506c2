"""Excel imports in the admin: upload, the dry run's preview with its progress, confirm or discard,
and the import history (who, when, the file, the counts, the rejected rows as a workbook).

Every step calls tracker.services.imports, as the import_xlsx command does. The history reads through
the read layer like every admin (``VisibleAdminMixin``): a city or county user sees the imports of their
region's offices, and another region's import is "not found" on every page of it.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker import imports
from tracker.admin.jobs import JobAdminMixin
from tracker.admin.paginator import EstimatedCountPaginator
from tracker.models import ImportJob
from tracker.services import imports as import_services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入类型"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("请上传 .xlsx 格式的 Excel 文件（可用本页的模板）。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件超过 100 MB。"))
        return upload


@admin.register(ImportJob)
class ImportJobAdmin(JobAdminMixin, admin.ModelAdmin):
    list_display = [
        "job_display", "kind", "status", "region", "created_by", "created_at", "counts", "committed_at", "downloads"
    ]
    list_display_links = None
    list_filter = ["kind", "status"]
    list_select_related = ["created_by", "region"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    change_list_template = "admin/tracker/importjob/change_list.html"
    job_page = "admin:tracker_importjob_preview"  # uploads go through the upload page, not the model form

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="tracker_importjob_upload"),
            path("template/<str:kind>/", view(self.template_view), name="tracker_importjob_template"),
            path("<int:pk>/preview/", view(self.preview_view), name="tracker_importjob_preview"),
            path("<int:pk>/progress/", view(self.progress_view), name="tracker_importjob_progress"),
            path("<int:pk>/confirm/", view(self.confirm_view), name="tracker_importjob_confirm"),
            path("<int:pk>/discard/", view(self.discard_view), name="tracker_importjob_discard"),
            path("<int:pk>/file/", view(self.file_view), name="tracker_importjob_file"),
            path("<int:pk>/rejected/", view(self.rejected_view), name="tracker_importjob_rejected"),
            *super().get_urls(),
        ]

    @admin.display(description=_("导入"), ordering="pk")
    def job_display(self, job: ImportJob):
        url = reverse("admin:tracker_importjob_preview", args=[job.pk])
        return format_html('<a href="{}">#{} {}</a>', url, job.pk, job.original_name)

    @admin.display(description=_("新增 / 变更 / 无变化 / 拒绝"))
    def counts(self, job: ImportJob) -> str:
        return f"{job.new_count:,} / {job.changed_count:,} / {job.unchanged_count:,} / {job.rejected_count:,}"

    @admin.display(description=_("下载"))
    def downloads(self, job: ImportJob):
        links = format_html('<a href="{}">{}</a>', reverse("admin:tracker_importjob_file", args=[job.pk]), _("原文件"))
        if job.rejected_file:
            links += format_html(
                ' · <a href="{}">{}</a>', reverse("admin:tracker_importjob_rejected", args=[job.pk]), _("被拒绝的行")
            )
        return links

    def upload_view(self, request):
        if not request.user.has_perm("tracker.add_importjob"):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_services.import_job_create(
                    kind=form.cleaned_data["kind"], name=upload.name, content=upload.read(), user=request.user
                )
            except PermissionDenied as error:
                form.add_error("kind", str(error))
            else:
                return HttpResponseRedirect(reverse("admin:tracker_importjob_preview", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("从 Excel 导入"),
            "opts": self.model._meta,
            "form": form,
            "kinds": ImportJob.Kind.choices,
        }
        return TemplateResponse(request, "admin/tracker/importjob/upload.html", context)

    def template_view(self, request, kind):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if kind not in ImportJob.Kind.values:
            raise Http404
        response = HttpResponse(imports.template_workbook(kind), content_type=XLSX)
        label = ImportJob.Kind(kind).label
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(f'{label}导入模板.xlsx')}"
        return response

    def preview_view(self, request, pk):
        job = self._job(request, pk)
        samples = job.preview.get("samples", {})
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "opts": self.model._meta,
            "job": job,
            "samples": samples,
            "can_confirm": job.status == ImportJob.Status.PREVIEWED
            and not job.rejected_count
            and not job.preview.get("file_errors")
            and (job.new_count or job.changed_count),
            "progress_url": reverse("admin:tracker_importjob_progress", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/tracker/importjob/preview.html", context)

    def progress_view(self, request, pk):
        job = self._job(request, pk)
        return JsonResponse(
            {
                "status": job.status,
                "status_display": job.get_status_display(),
                "phase": job.phase,
                "done": job.rows_done,
                "total": job.rows_total,
                "open": job.is_open,
            }
        )

    def _post_step(self, request, pk, step, done_message):
        job = self._job(request, pk)
        if request.method != "POST" or not request.user.has_perm("tracker.add_importjob"):
            raise PermissionDenied
        try:
            step(job=job, user=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.message_user(request, "；".join(getattr(error, "messages", [str(error)])), messages.ERROR)
        else:
            self.message_user(request, done_message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tracker_importjob_preview", args=[pk]))

    def confirm_view(self, request, pk):
        return self._post_step(request, pk, import_services.import_job_confirm, _("已确认导入。"))

    def discard_view(self, request, pk):
        return self._post_step(request, pk, import_services.import_job_discard, _("已放弃该导入，未写入任何数据。"))

    def file_view(self, request, pk):
        job = self._job(request, pk)
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.original_name)

    def rejected_view(self, request, pk):
        job = self._job(request, pk)
        if not job.rejected_file:
            raise Http404
        return FileResponse(job.rejected_file.open("rb"), as_attachment=True, filename=f"被拒绝的行-{job.pk}.xlsx")


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
