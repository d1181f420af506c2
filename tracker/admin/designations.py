from django.contrib import admin
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracker.admin import display, export_columns
from tracker.admin.base import ServiceAdminMixin, adopt, form_values
from tracker.admin.exports import ExportMixin
from tracker.admin.filters import MemberClusterFilter, RegionFilter, TierFilter, ValidUntilFilter
from tracker.admin.history import HistoryAdmin
from tracker.admin.search import EnterpriseSearchMixin, looks_like_uscc
from tracker.admin.versioning import VersionedAdminMixin, VersionedForm
from tracker.models import Designation
from tracker.models.designations import DesignationStatus
from tracker.models.name_search import name_contains_q
from tracker.services import designations as designation_services
from tracker.services.common import enterprise_archived_check


class DesignationForm(VersionedForm):
    user = None

    class Meta:
        model = Designation
        fields = [
            "enterprise",
            "tier",
            "cluster",
            "status",
            "batch",
            "document_no",
            "recognized_on",
            "valid_until",
            "note",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        may_publish = self.user is not None and self.user.has_perm(designation_services.PUBLISH_PERMISSION)
        if status is not None and not may_publish and self.instance.status == DesignationStatus.CANDIDATE:
            # City and county staff prepare candidates; the other statuses are the province's to set.
            status.choices = [(value, label) for value, label in status.choices if value == DesignationStatus.CANDIDATE]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            # The service's rule, here so that the message lands on the field.
            enterprise_archived_check(enterprise=cleaned.get("enterprise"))
        if "status" in cleaned:
            # The checks the service runs on save, so the error lands on the status field.
            before = [self.initial["status"]] if self.instance.pk else []
            designation_services.designation_publish_check(user=self.user, statuses=[*before, cleaned["status"]])
            if self.instance.pk:
                designation_services.designation_transition_check(self.initial["status"], cleaned["status"])
        return cleaned


@admin.register(Designation)
class DesignationAdmin(EnterpriseSearchMixin, ExportMixin, VersionedAdminMixin, ServiceAdminMixin, HistoryAdmin):
    exports = [("xlsx", export_columns.DESIGNATIONS, _("导出 Excel"))]
    form = DesignationForm
    list_display = [
        "enterprise",
        "tier",
        "cluster",
        "status",
        "batch",
        "document_no",
        "recognized_on_display",
        "valid_until_display",
    ]
    list_filter = [RegionFilter, TierFilter, "status", ValidUntilFilter, MemberClusterFilter]
    list_select_related = ["enterprise", "tier", "cluster"]
    autocomplete_fields = ["enterprise"]
    search_fields = ["enterprise__name", "enterprise__uscc", "document_no"]
    search_help_text = _("按企业名称、统一社会信用代码（前几位即可）或文号搜索。")
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["valid_until", "id"]
    fieldsets = [
        (None, {"fields": ["enterprise", "tier", "cluster", "status"]}),
        (_("认定信息"), {"fields": ["batch", "document_no", "recognized_on", "valid_until", "note"]}),
        (_("记录"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A designation stays with the enterprise it was recorded for (the service refuses a move).
        return [*super().get_readonly_fields(request, obj), *(["enterprise"] if obj is not None else [])]

    def search_q(self, term: str) -> Q:
        if looks_like_uscc(term):
            return super().search_q(term)
        # A fragment of the name, or a 文号 typed in full: the union of the two, each found through its
        # own index. As one OR across the join with the enterprise table, it read every enterprise
        # (3 s at a million enterprises, docs/benchmarks.md).
        named = Designation.objects.filter(name_contains_q(term, "enterprise__")).order_by().values("pk")
        numbered = Designation.objects.filter(document_no=term).order_by().values("pk")
        return Q(pk__in=named.union(numbered))

    @admin.display(description=Designation._meta.get_field("recognized_on").verbose_name, ordering="recognized_on")
    def recognized_on_display(self, designation: Designation) -> str:
        return display.day(designation.recognized_on)

    @admin.display(description=Designation._meta.get_field("valid_until").verbose_name, ordering="valid_until")
    def valid_until_display(self, designation: Designation) -> str:
        return display.day(designation.valid_until)

    def save_model(self, request, obj, form, change):
        if change:
            saved = designation_services.designation_update(
                designation=obj,
                user=request.user,
                expected_version=form.expected_version,
                **form_values(form, changed_only=True),
            )
            adopt(obj, saved)
        else:
            adopt(
                obj, designation_services.designation_create(user=request.user, **form_values(form, changed_only=False))
            )

    def delete_model(self, request, obj):
        designation_services.designation_delete(designation=obj, user=request.user)

    @transaction.atomic  # all the selected rows, or none
    def delete_queryset(self, request, queryset):
        for designation in queryset:
            designation_services.designation_delete(designation=designation, user=request.user)
