from django.contrib import admin

from tracker.admin.base import VisibleAdminMixin
from tracker.models import Region


@admin.register(Region)
class RegionAdmin(VisibleAdminMixin, admin.ModelAdmin):
    """GB/T 2260 divisions down to counties; a city's users see their city and its counties (which is also
    what they may choose as an enterprise's region)."""

    list_display = ["code", "name", "name_en", "level", "parent", "retired_in", "successor"]
    list_filter = ["level"]
    list_select_related = ["parent", "successor"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["parent", "successor"]
    ordering = ["code"]
