from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from tracker.admin import display
from tracker.admin.base import VisibleAdminMixin
from tracker.models import ChainSegment, Cluster, NationalRecognition


class ChainSegmentInline(VisibleAdminMixin, admin.TabularInline):
    model = ChainSegment
    fields = ["position", "name", "sort_order"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cluster")  # each row's title names it


@admin.register(Cluster)
class ClusterAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["name_zh", "code", "group", "operating_org", "segment_count", "name_confirmed_display"]
    list_filter = ["group", "name_confirmed"]
    search_fields = ["code", "name_zh", "name_en"]
    filter_horizontal = ["core_regions"]
    inlines = [ChainSegmentInline]
    ordering = ["group", "code"]
    fieldsets = [
        (None, {"fields": ["code", "name_zh", "name_en", "group", "name_confirmed"]}),
        (_("运营与承载"), {"fields": ["operating_org", "core_regions", "reference"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(segment_total=Count("segments"))

    @admin.display(description=_("产业链环节数"), ordering="segment_total")
    def segment_count(self, cluster: Cluster) -> int:
        return cluster.segment_total

    @admin.display(description=Cluster._meta.get_field("name_confirmed").verbose_name)
    def name_confirmed_display(self, cluster: Cluster) -> str:
        return display.boolean(cluster.name_confirmed)


@admin.register(ChainSegment)
class ChainSegmentAdmin(VisibleAdminMixin, admin.ModelAdmin):
    """Registered so membership forms can autocomplete segments; staff edit them inline on the cluster."""

    list_display = ["name", "cluster", "position", "sort_order"]
    list_filter = ["position", "cluster"]
    list_select_related = ["cluster"]
    search_fields = ["name", "cluster__name_zh"]
    ordering = ["cluster", "position", "sort_order"]

    def has_module_permission(self, request):
        return False


@admin.register(NationalRecognition)
class NationalRecognitionAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "batch"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["regions", "clusters"]
    ordering = ["kind", "name"]
