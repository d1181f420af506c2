from django import forms
from django.contrib import admin, messages
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from tracker.admin import display, export_columns
from tracker.admin.base import ServiceAdminMixin, VisibleAdminMixin, adopt, form_values, mark_formset_saved
from tracker.admin.enterprise_archive import ArchivedFilter, EnterpriseArchiveAdminMixin
from tracker.admin.explanation import status_badge
from tracker.admin.exports import ExportMixin
from tracker.admin.filters import DesignatedTierFilter, EnterpriseClusterFilter, RegionFilter
from tracker.admin.history import HistoryAdmin
from tracker.admin.links import result_url
from tracker.admin.money import WanYuanFormMixin
from tracker.admin.search import EnterpriseSearchMixin
from tracker.admin.versioning import VersionedAdminMixin, VersionedForm
from tracker.models import AnnualMetrics, ClusterMembership, Designation, EligibilityResult, Enterprise, EvaluationRun
from tracker.services import enterprises as enterprise_services
from tracker.services import metrics as metrics_services
from tracker.services.common import region_write_check
from tracker.services.runs import run_start


class EnterpriseForm(VersionedForm):
    user = None  # set per request by UserFormMixin

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "uscc",
            "uscc_check_override",
            "region",
            "sector",
            "founded_on",
            "listed",
            "listed_on",
            "niche_since",
            "main_product",
            "product_code",
            "vc_backed",
            "group_has_little_giant",
        ]

    def clean(self):
        cleaned = super().clean()
        if "region" in self.changed_data and cleaned.get("region") is not None:
            # The service's rule, run here so the message lands on the field (a retired code, say).
            region_write_check(user=self.user, region=cleaned["region"])
        if "uscc" not in cleaned:
            return cleaned
        touched = not self.instance.pk or {"uscc", "uscc_check_override"} & set(self.changed_data)
        if touched:
            override = cleaned.get("uscc_check_override", self.instance.uscc_check_override)
            cleaned["uscc"] = enterprise_services.uscc_check(
                code=cleaned["uscc"], override_reason=override, user=self.user
            )
        return cleaned


class ClusterMembershipInline(VisibleAdminMixin, admin.TabularInline):
    model = ClusterMembership
    fields = ["cluster", "segment"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("enterprise", "cluster")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Each row's select would read its choices again (a query per membership): read them once for the
        # formset. Segments are grouped under their cluster (a few hundred in all, from the reference data).
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "cluster":
            formfield.choices = list(formfield.choices)
        elif db_field.name == "segment":
            formfield.choices = segment_choices(formfield.queryset)
        return formfield


def segment_choices(segments) -> list:
    """Chain segments as select choices grouped by cluster, read in one query."""
    groups: dict[str, list] = {}
    for segment in segments.select_related("cluster").order_by("cluster__group", "cluster__code", "position",
                                                                "sort_order"):
        groups.setdefault(segment.cluster.name_zh, []).append(
            (segment.pk, f"{segment.get_position_display()} · {segment.name}")
        )
    return [("", "---------"), *groups.items()]


class AnnualMetricsInlineForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "fiscal_year" in self.fields:
            self.fields["fiscal_year"].disabled = True  # a recorded year stays that year (services/metrics.py)


class AnnualMetricsInline(WanYuanFormMixin, VisibleAdminMixin, admin.TabularInline):
    """The headline figures per year; the full set of facts is on each year's own page."""

    model = AnnualMetrics
    form = AnnualMetricsInlineForm
    fields = ["fiscal_year", "revenue", "main_business_revenue", "rd_expense", "net_profit", "employees", "rd_staff"]
    extra = 0
    show_change_link = True
    ordering = ["-fiscal_year"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("enterprise")  # each row's title names it

    def has_add_permission(self, request, obj=None):
        # No new year for an archived enterprise (services/enterprise_archive.py); restore it first.
        return (obj is None or obj.archived_at is None) and super().has_add_permission(request, obj)


@admin.register(Enterprise)
class EnterpriseAdmin(
    EnterpriseSearchMixin,
    ExportMixin,
    EnterpriseArchiveAdminMixin,
    VersionedAdminMixin,
    ServiceAdminMixin,
    HistoryAdmin,
):
    enterprise_lookup = ""  # the listed rows are the enterprises
    exports = [("xlsx", export_columns.ENTERPRISES, _("导出 Excel"))]
    form = EnterpriseForm
    list_display = ["name", "uscc", "region", "sector", "listed_display", "designated_tiers", "founded_on_display"]
    list_filter = [ArchivedFilter, RegionFilter, EnterpriseClusterFilter, DesignatedTierFilter, "sector", "listed"]
    list_select_related = ["region"]
    sortable_by = ["name", "uscc"]  # the orders an index serves (tracker/admin/ordering.py)
    search_fields = ["name", "uscc"]
    search_help_text = _("按企业名称或统一社会信用代码（前几位即可）搜索。")
    autocomplete_fields = ["region"]
    readonly_fields = ["archived_at", "created_at", "updated_at", "current_results"]
    ordering = ["-id"]
    inlines = [ClusterMembershipInline, AnnualMetricsInline]
    actions = ["recompute_selected", "restore_selected", "hard_delete_selected"]

    def get_search_results(self, request, queryset, search_term):
        queryset, distinct = super().get_search_results(request, queryset, search_term)
        if getattr(request.resolver_match, "url_name", None) == "autocomplete":
            # Choosing the enterprise of a new designation or year of metrics: only those in the
            # register (an archived one takes no new records: services/common.py).
            queryset = queryset.active()
        return queryset, distinct

    def get_list_display(self, request):
        # Held tiers come from designations: shown to those who may view designations.
        if request.user.has_perm("tracker.view_designation"):
            return self.list_display
        return [name for name in self.list_display if name != "designated_tiers"]

    def get_fieldsets(self, request, obj=None):
        identity = ["name", "uscc"]
        if request.user.has_perm(enterprise_services.OVERRIDE_PERMISSION):
            identity.append("uscc_check_override")
        return self.versioned_fieldsets(request, obj, [
            (None, {"fields": [*identity, "region", "sector"]}),
            (
                _("经营情况"),
                {"fields": ["founded_on", "listed", "listed_on", "niche_since", "main_product", "product_code"]},
            ),
            (_("其他事实"), {"fields": ["vc_backed", "group_has_little_giant"]}),
            *(
                [(_("当前认定条件评价"), {"fields": ["current_results"]})]
                if obj is not None and request.user.has_perm("tracker.view_eligibilityresult")
                else []
            ),
            (_("记录"), {"fields": ["archived_at", "created_at", "updated_at"], "classes": ["collapse"]}),
        ])

    def get_exclude(self, request, obj=None):
        if request.user.has_perm(enterprise_services.OVERRIDE_PERMISSION):
            return []
        return ["uscc_check_override"]

    def get_queryset(self, request):
        held = Designation.objects.held_on(timezone.localdate()).select_related("tier")
        return super().get_queryset(request).prefetch_related(Prefetch("designations", queryset=held, to_attr="held"))

    @admin.display(description=Enterprise._meta.get_field("listed").verbose_name, ordering="listed")
    def listed_display(self, enterprise: Enterprise) -> str:
        return display.boolean(enterprise.listed)

    @admin.display(description=Enterprise._meta.get_field("founded_on").verbose_name, ordering="founded_on")
    def founded_on_display(self, enterprise: Enterprise) -> str:
        return display.day(enterprise.founded_on)

    @admin.display(description=_("已认定层级"))
    def designated_tiers(self, enterprise: Enterprise) -> str:
        names = sorted({str(d.tier) for d in getattr(enterprise, "held", [])})
        return "、".join(names) or display.MISSING

    @admin.display(description=_("各层级评价结果（当前年度）"))
    def current_results(self, enterprise: Enterprise):
        rows = list(
            EligibilityResult.objects.filter(enterprise=enterprise)
            .current()
            .select_related("tier", "cluster", "ruleset")
            .order_by("tier_id")
        )
        if not rows:
            return _("当前年度尚无评价结果。")
        year = rows[0].fiscal_year
        head = [_("层级"), _("产业集群"), _("结论"), _("得分"), _("接近达标"), _("标准版本"), _("未达标条件数"), ""]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            '<td><a href="{}">{}</a></td></tr>',
            (
                (
                    r.tier,
                    r.cluster or display.MISSING,
                    status_badge(r.status, r.get_status_display()),
                    display.MISSING if r.score is None else f"{r.score:g}",
                    "✓" if r.near_miss else "",
                    r.ruleset.version,
                    r.failing_count,
                    result_url(r.enterprise_id, r.tier_id, r.fiscal_year, r.cluster_id),
                    _("逐项评价"),
                )
                for r in rows
            ),
        )
        return format_html(
            "<p>{}</p><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
            _("评价年度 %(year)s") % {"year": year},
            format_html_join("", "<th>{}</th>", ((h,) for h in head)),
            body,
        )

    @admin.action(description=_("重新计算所选企业"), permissions=["change"])
    def recompute_selected(self, request, queryset):
        run = run_start(
            kind=EvaluationRun.Kind.MANUAL,
            enterprise_ids=list(queryset.values_list("id", flat=True)),
            user=request.user,
        )
        url = reverse("admin:tracker_evaluationrun_change", args=[run.pk])
        self.message_user(
            request,
            format_html(
                _('已发起重新计算（{} 家企业）：<a href="{}">{}</a>'), run.params.get("enterprise_count", 0), url, run
            ),
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        if change:
            saved = enterprise_services.enterprise_update(
                enterprise=obj,
                user=request.user,
                expected_version=form.expected_version,
                **form_values(form, changed_only=True),
            )
            adopt(obj, saved)
        else:
            created = enterprise_services.enterprise_create(user=request.user, **form_values(form, changed_only=False))
            adopt(obj, created)

    def save_formset(self, request, form, formset, change):
        if formset.model is ClusterMembership:
            self._save_memberships(request, form.instance, formset)
        elif formset.model is AnnualMetrics:
            save_metrics_formset(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_memberships(self, request, enterprise, formset) -> None:
        if not formset.has_changed():
            mark_formset_saved(formset)
            return
        kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        memberships = [{"cluster": f.cleaned_data["cluster"], "segment": f.cleaned_data.get("segment")} for f in kept]
        enterprise_services.enterprise_update(enterprise=enterprise, user=request.user, memberships=memberships)
        mark_formset_saved(
            formset,
            new=[f.instance for f in kept if f.instance.pk is None],
            changed=[(f.instance, f.changed_data) for f in kept if f.instance.pk and f.has_changed()],
            deleted=[f.instance for f in formset.deleted_forms if f.instance.pk],
        )


def save_metrics_formset(request, enterprise, formset) -> None:
    """Write each changed year through the metrics services (create, update, delete)."""
    new, changed, deleted = [], [], []
    for form in formset.forms:
        if not form.has_changed() and not (form.cleaned_data or {}).get("DELETE"):
            continue
        if form in formset.deleted_forms:
            if form.instance.pk:
                metrics_services.metrics_delete(metrics=form.instance, user=request.user)
                deleted.append(form.instance)
            continue
        values = form_values(form, changed_only=bool(form.instance.pk))
        values.pop("enterprise", None)
        if form.instance.pk:
            current = AnnualMetrics.objects.get(pk=form.instance.pk)
            metrics_services.metrics_update(metrics=current, user=request.user, **values)
            changed.append((current, form.changed_data))
        else:
            new.append(metrics_services.metrics_create(user=request.user, enterprise=enterprise, **values))
    mark_formset_saved(formset, new=new, changed=changed, deleted=deleted)
