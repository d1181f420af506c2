from django.contrib import admin

from tracker.admin import display
from tracker.admin.base import VisibleAdminMixin
from tracker.models import Tier


@admin.register(Tier)
class TierAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ["name_zh", "code", "name_en", "track", "ladder_order", "validity_years", "per_cluster_display"]
    list_filter = ["track"]
    search_fields = ["code", "name_zh", "name_en"]
    ordering = ["track", "ladder_order"]

    @admin.display(description=Tier._meta.get_field("per_cluster").verbose_name)
    def per_cluster_display(self, tier: Tier) -> str:
        return display.boolean(tier.per_cluster)
