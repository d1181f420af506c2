"""Recompute runs, their results and tier changes: read-only pages for staff, plus "全量重新计算".

Results are written only by the pipeline (tracker/pipeline/); the admin shows them and starts runs
through tracker.services.runs.run_start, the same path the API and the nightly beat use.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tracker.admin import display, export_columns
from tracker.admin.base import VisibleAdminMixin
from tracker.admin.exports import ExportMixin
from tracker.admin.ordering import IndexedOrderChangeList
from tracker.admin.paginator import EstimatedCountPaginator
from tracker.models import EvaluationRun, RunChunk
from tracker.models.scoping import region_scope
from tracker.services.runs import run_start

CHUNKS_SHOWN = 50
RUN_COLORS = {"pending": "#616161", "running": "#1565c0", "succeeded": "#2e7d32", "failed": "#c62828"}


class ReadOnlyAdmin(VisibleAdminMixin, admin.ModelAdmin):
    """View-only pages over big tables: no add/change/delete, no unfiltered COUNT(*), sorting by the
    columns ``sortable_by`` names only."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return IndexedOrderChangeList

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def enterprise_link(enterprise) -> str:
    url = reverse("admin:tracker_enterprise_change", args=[enterprise.pk])
    return format_html('<a href="{}">{}</a> <small>#{}</small>', url, enterprise.name, enterprise.pk)


class RunChunkInline(VisibleAdminMixin, admin.TabularInline):
    model = RunChunk
    fields = [
        "first_id",
        "last_id",
        "status",
        "attempts",
        "evaluated",
        "changed",
        "claimed_at",
        "finished_at",
        "error_message",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = format_lazy(_("运行分片（未完成的在前，最多显示 {count} 个）"), count=CHUNKS_SHOWN)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ExportMixin, ReadOnlyAdmin):
    exports = [("xlsx", export_columns.RUNS, _("导出 Excel"))]
    list_display = [
        "__str__",
        "kind",
        "status_display",
        "as_of",
        "fiscal_year",
        "progress",
        "evaluated",
        "inputs_changed",
        "changed",
        "errors",
        "started_at",
        "finished_at",
        "duration",
    ]
    list_filter = ["kind", "status", "is_full"]
    list_select_related = ["requested_by"]
    inlines = [RunChunkInline]
    fieldsets = [
        (None, {"fields": ["kind", "status_display", "is_full", "as_of", "fiscal_year", "requested_by", "params"]}),
        (_("进度"), {"fields": ["progress", "evaluated", "inputs_changed", "changed", "errors", "error_message"]}),
        (_("时间"), {"fields": ["created_at", "started_at", "finished_at", "duration", "timings_display"]}),
    ]
    readonly_fields = [
        "kind",
        "status_display",
        "is_full",
        "as_of",
        "fiscal_year",
        "requested_by",
        "params",
        "progress",
        "evaluated",
        "inputs_changed",
        "changed",
        "errors",
        "error_message",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "timings_display",
    ]

    def get_urls(self):
        recompute = path(
            "recompute/", self.admin_site.admin_view(self.recompute_view), name="tracker_evaluationrun_recompute"
        )
        return [recompute, *super().get_urls()]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        # A full run has one chunk per 5,000 enterprises: show the open and failed ones first, a page's worth.
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, RunChunkInline):
            order = Case(
                When(status=RunChunk.Status.FAILED, then=Value(0)),
                When(status=RunChunk.Status.RUNNING, then=Value(1)),
                When(status=RunChunk.Status.PENDING, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
            shown = list(obj.chunks.order_by(order, "first_id").values_list("pk", flat=True)[:CHUNKS_SHOWN])
            kwargs["queryset"] = RunChunk.objects.filter(pk__in=shown).order_by(order, "first_id")
        return kwargs

    def can_recompute(self, request) -> bool:
        """A full recompute touches every region's results: for users who see every region."""
        return request.user.has_perm("tracker.add_evaluationrun") and region_scope(request.user).unrestricted

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_recompute": self.can_recompute(request)}
        return super().changelist_view(request, extra_context)

    def recompute_view(self, request):
        """POST: start a manual full run for today, or point at the one already open."""
        if request.method != "POST" or not self.can_recompute(request):
            raise PermissionDenied
        today = timezone.localdate()
        open_run = EvaluationRun.objects.filter(
            kind=EvaluationRun.Kind.MANUAL,
            as_of=today,
            is_full=True,
            status__in=[EvaluationRun.Status.PENDING, EvaluationRun.Status.RUNNING],
        ).first()
        if open_run is not None:
            self.message_user(
                request,
                format_html(
                    _('今天的全量重新计算已在进行中：<a href="{}">{}</a>'), self._change_url(open_run), open_run
                ),
                messages.WARNING,
            )
        else:
            run = run_start(kind=EvaluationRun.Kind.MANUAL, as_of=today, user=request.user)
            self.message_user(
                request,
                format_html(_('已发起全量重新计算：<a href="{}">{}</a>'), self._change_url(run), run),
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:tracker_evaluationrun_changelist"))

    @staticmethod
    def _change_url(run: EvaluationRun) -> str:
        return reverse("admin:tracker_evaluationrun_change", args=[run.pk])

    @admin.display(description=_("状态"), ordering="status")
    def status_display(self, run: EvaluationRun):
        return format_html(
            '<span style="color:{}">{}</span>', RUN_COLORS.get(run.status, "#616161"), run.get_status_display()
        )

    @admin.display(description=_("进度"))
    def progress(self, run: EvaluationRun):
        percent = 100 * run.chunks_done / run.chunks_total if run.chunks_total else 100.0
        return format_html(
            '<progress value="{}" max="100" style="width:6em"></progress> {}/{}（{}%）',
            f"{percent:.0f}",
            run.chunks_done,
            run.chunks_total,
            f"{percent:.0f}",
        )

    @admin.display(description=_("耗时"))
    def duration(self, run: EvaluationRun) -> str:
        if run.started_at is None:
            return display.MISSING
        end = run.finished_at or timezone.now()
        seconds = int((end - run.started_at).total_seconds())
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    @admin.display(description=_("分阶段耗时（秒，各分片合计）"))
    def timings_display(self, run: EvaluationRun) -> str:
        names = {"load": _("读取数据"), "evaluate": _("评价"), "write": _("写入")}
        parts = [f"{names.get(key, key)} {seconds:,.1f}" for key, seconds in (run.timings or {}).items()]
        return "；".join(parts) or display.MISSING
