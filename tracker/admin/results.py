"""Eligibility results and tier changes for staff: filtered like the office reads them (city, county, cluster, tier,
conclusion, near miss, date), with what fails as a column, exportable, and addressed by enterprise,
tier and year so that a link survives recomputes (``/admin/tracker/eligibilityresult/by/…``).

Results are written only by the pipeline; these pages read them.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker.admin import display, export_columns
from tracker.admin.batches import add_to_batch
from tracker.admin.evaluation import ReadOnlyAdmin, enterprise_link
from tracker.admin.explanation import explanation_html, status_badge
from tracker.admin.exports import ExportMixin
from tracker.admin.filters import (
    CountyFilter,
    CurrentFiscalYearFilter,
    FiscalYearFilter,
    MemberClusterFilter,
    RegionFilter,
    TierFilter,
)
from tracker.admin.links import result_url
from tracker.admin.ordering import IndexedOrderChangeList
from tracker.admin.search import EnterpriseSearchMixin
from tracker.models import Designation, EligibilityResult, TierChange
from tracker.models.evaluation import ResultStatus, gap_order
from tracker.selectors.explanations import explanation_for
from tracker.selectors.results import failing_criteria
from tracker.services.eligibility import result_explanation


class ResultStatusFilter(admin.SimpleListFilter):
    title = _("结论")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ResultStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class NearMissFilter(admin.SimpleListFilter):
    title = _("接近达标")
    parameter_name = "near_miss"

    def lookups(self, request, model_admin):
        return [("1", _("是")), ("0", _("否"))]

    def queryset(self, request, queryset):
        return queryset.filter(near_miss=self.value() == "1") if self.value() in ("0", "1") else queryset


class ChangeNearMissFilter(NearMissFilter):
    """Changes whose result is a near miss now: an enterprise that lost a tier and is close to regaining
    it. The result is the one the change was about (enterprise, tier, year, cluster), read on its
    unique index — the change records statuses, not gaps, and a gap moves without a change of status."""

    def queryset(self, request, queryset):
        if self.value() not in ("0", "1"):
            return queryset
        near = EligibilityResult.objects.alias(cluster_key=Coalesce("cluster_id", Value(0))).filter(
            enterprise_id=OuterRef("enterprise_id"),
            fiscal_year=OuterRef("fiscal_year"),
            tier_id=OuterRef("tier_id"),
            cluster_key=Coalesce(OuterRef("cluster_id"), Value(0)),
            near_miss=True,
        )
        return queryset.filter(Exists(near) if self.value() == "1" else ~Exists(near))


class NotDesignatedFilter(admin.SimpleListFilter):
    """Results whose enterprise neither holds the result's tier today nor is on its way to it (a
    candidate, or on public notice): the read layer's ``held_or_pending``."""

    title = _("认定情况")
    parameter_name = "designated"

    def lookups(self, request, model_admin):
        return [("0", _("未认定"))]

    def queryset(self, request, queryset):
        if self.value() != "0":
            return queryset
        taken = Designation.objects.filter(
            enterprise_id=OuterRef("enterprise_id"), tier_id=OuterRef("tier_id")
        ).held_or_pending(timezone.localdate())
        return queryset.filter(~Exists(taken))


def failing_text(items: list[dict], shown: int = 3) -> str:
    """The failing criteria by their labels, the first few and how many more."""
    labels = [item["label"]["zh"] for item in items]
    if len(labels) > shown:
        return "；".join(labels[:shown]) + str(_("；等 %(count)s 项") % {"count": len(labels)})
    return "；".join(labels) or ""


class ResultRowColumns:
    """The columns a result and a tier change share: the enterprise, and the stable link to the result
    (by enterprise, tier and year, so it survives recomputes)."""

    @admin.display(description=_("企业"), ordering="enterprise_id")
    def enterprise_display(self, row):
        return enterprise_link(row.enterprise)

    @admin.display(description=_("逐项评价"))
    def explanation_link(self, row):
        url = result_url(row.enterprise_id, row.tier_id, row.fiscal_year, row.cluster_id)
        return format_html('<a href="{}" class="result-link">{}</a>', url, _("查看"))


class FailingChangeList(IndexedOrderChangeList):
    """A changelist whose page of rows is given its failing criteria in one pass
    (``model_admin.attach_failing``: the rulesets read once for the page, no query per row)."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        self.model_admin.attach_failing(self.result_list)


@admin.register(EligibilityResult)
class EligibilityResultAdmin(EnterpriseSearchMixin, ResultRowColumns, ExportMixin, ReadOnlyAdmin):
    exports = [
        ("xlsx", export_columns.RESULTS, _("导出 Excel")),
        ("gaps", export_columns.GAPS, _("导出差距明细")),
    ]
    list_display = [
        "enterprise_display",
        "tier",
        "fiscal_year",
        "cluster",
        "status_display",
        "score_display",
        "failing_display",
        "shortfall_display",
        "near_miss_display",
        "evaluated_at",
        "explanation_link",
    ]
    list_display_links = None  # rows link by enterprise, tier and year (explanation_link), not by id
    changelist_class = FailingChangeList
    read_layer_orderings = {"shortfall_display": gap_order}
    list_filter = [
        RegionFilter,
        CountyFilter,
        MemberClusterFilter,
        TierFilter,
        ResultStatusFilter,
        NearMissFilter,
        CurrentFiscalYearFilter,
        NotDesignatedFilter,
        ("evaluated_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["enterprise", "tier", "cluster"]
    actions = [add_to_batch]
    search_fields = ["enterprise__name", "enterprise__uscc"]
    search_help_text = _("按企业名称或统一社会信用代码（前几位即可）搜索。")
    raw_id_fields = ["enterprise"]
    summary_fields = [
        "enterprise_display",
        "tier",
        "fiscal_year",
        "cluster",
        "status_display",
        "score_display",
        "failing_count",
        "shortfall_display",
        "near_miss_display",
        "ruleset",
        "run",
        "evaluated_at",
    ]
    fieldsets = [(None, {"fields": summary_fields}), (_("逐项评价"), {"fields": ["explanation_display"]})]
    readonly_fields = [*summary_fields, "explanation_display"]

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(
            "enterprise__region", "tier", "cluster", "run", "ruleset__jurisdiction"
        )
        try:
            result = queryset.get(pk=object_id)
        except (EligibilityResult.DoesNotExist, ValueError):
            return None
        result.reader = request.user  # whose permissions decide which facts the explanation shows
        return result

    def get_sortable_by(self, request):
        """The enterprise (the list's own order, on the unique index); the gap, closest first, once the
        list holds only gaps or near misses (the order of their indexes). By score, status or the gap
        of every result, a tier's million rows were read and sorted (1–4 s at a million enterprises)."""
        gaps = request.GET.get("status") == ResultStatus.NOT_ELIGIBLE or request.GET.get("near_miss") == "1"
        return ["enterprise_display", *(["shortfall_display"] if gaps else [])]

    def attach_failing(self, results: list[EligibilityResult]) -> None:
        failing = failing_criteria(results)
        for result in results:
            result.failing = failing.get(result.pk, [])

    def get_urls(self):
        by = path(
            "by/<int:enterprise_id>/<str:tier>/<int:year>/",
            self.admin_site.admin_view(self.by_key_view),
            name="tracker_eligibilityresult_by",
        )
        return [by, *super().get_urls()]

    def by_key_view(self, request, enterprise_id: int, tier: str, year: int):
        """Today's row of a result named by enterprise, tier and year (``?cluster=`` for a chain leader)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = self.get_queryset(request).filter(enterprise_id=enterprise_id, tier_id=tier, fiscal_year=year)
        cluster = request.GET.get("cluster", "")
        if cluster.isdigit():
            rows = rows.filter(cluster_id=int(cluster))
        pk = rows.order_by("cluster_id", "id").values_list("pk", flat=True).first()
        if pk is None:
            raise Http404
        return HttpResponseRedirect(reverse("admin:tracker_eligibilityresult_change", args=[pk]))

    def has_add_to_batch_permission(self, request):
        return request.user.has_perm("tracker.add_designation")

    @admin.display(description=_("未达标条件"), ordering="failing_count")
    def failing_display(self, result: EligibilityResult) -> str:
        return failing_text(getattr(result, "failing", []))

    @admin.display(description=_("结论"), ordering="status")
    def status_display(self, result: EligibilityResult):
        return status_badge(result.status, result.get_status_display())

    @admin.display(description=_("得分"), ordering="score")
    def score_display(self, result: EligibilityResult) -> str:
        return display.MISSING if result.score is None else f"{result.score:g}"

    @admin.display(description=_("差距"), ordering="shortfall")
    def shortfall_display(self, result: EligibilityResult) -> str:
        return display.ratio(result.shortfall)

    @admin.display(description=_("接近达标"), ordering="near_miss")
    def near_miss_display(self, result: EligibilityResult) -> str:
        return "✓" if result.near_miss else ""

    @admin.display(description=_("逐项评价"))
    def explanation_display(self, result: EligibilityResult):
        explanation = explanation_for(result.reader, result_explanation(result=result))
        if explanation and explanation.get("facts_redacted"):
            note = format_html('<p class="help">{}</p>', _("您没有查看年度指标的权限：各项实际值与差距已隐藏。"))
            return format_html("{}{}", note, explanation_html(explanation))
        return explanation_html(explanation)


class ChangeFilter(admin.SimpleListFilter):
    title = _("变化")
    parameter_name = "change"

    def lookups(self, request, model_admin):
        return TierChange.Change.choices

    def queryset(self, request, queryset):
        return queryset.filter(change=self.value()) if self.value() else queryset


@admin.register(TierChange)
class TierChangeAdmin(EnterpriseSearchMixin, ResultRowColumns, ExportMixin, ReadOnlyAdmin):
    exports = [("xlsx", export_columns.TIER_CHANGES, _("导出 Excel"))]
    list_display = [
        "enterprise_display",
        "tier",
        "fiscal_year",
        "cluster",
        "change_display",
        "from_status",
        "to_status",
        "failing_display",
        "created_at",
        "run",
        "explanation_link",
    ]
    list_filter = [
        RegionFilter,
        CountyFilter,
        MemberClusterFilter,
        TierFilter,
        ChangeFilter,
        "to_status",
        ChangeNearMissFilter,
        FiscalYearFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["enterprise__name", "enterprise__uscc"]
    search_help_text = _("按企业名称或统一社会信用代码（前几位即可）搜索。")
    list_display_links = None
    changelist_class = FailingChangeList
    list_select_related = ["enterprise", "tier", "cluster", "run"]
    fields = [
        "enterprise_display",
        "tier",
        "fiscal_year",
        "cluster",
        "change_display",
        "from_status",
        "to_status",
        "run",
        "created_at",
    ]
    readonly_fields = fields

    def attach_failing(self, changes: list[TierChange]) -> None:
        """What fails now, from the result each change led to (one query for the page's results)."""
        results = EligibilityResult.objects.filter(
            enterprise_id__in={c.enterprise_id for c in changes},
            tier_id__in={c.tier_id for c in changes},
            fiscal_year__in={c.fiscal_year for c in changes},
        ).only("id", "enterprise_id", "tier_id", "fiscal_year", "cluster_id", "ruleset_id", "failed_nodes")
        results = list(results) if changes else []
        failing = failing_criteria(results)
        by_key = {(r.enterprise_id, r.tier_id, r.fiscal_year, r.cluster_id): failing[r.pk] for r in results}
        for change in changes:
            change.failing = by_key.get(
                (change.enterprise_id, change.tier_id, change.fiscal_year, change.cluster_id), []
            )

    @admin.display(description=_("当前未达标条件"))
    def failing_display(self, change: TierChange) -> str:
        return failing_text(getattr(change, "failing", []))

    @admin.display(description=_("变化"), ordering="change")
    def change_display(self, change: TierChange):
        status = "eligible" if change.change == TierChange.Change.GAINED else "not_eligible"
        return status_badge(status, change.get_change_display())
