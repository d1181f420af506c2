"""The enterprise admin's delete, restore and hard delete (services/enterprise_archive.py).

"Delete" of an enterprise with designations, metrics or results archives it (staff read so in the
confirmation and the message); archived enterprises are left out of the list unless the "归档状态"
filter asks for them, and "恢复" puts them back. "彻底删除" is a province administrator's action,
confirmed on its own page with a reason, refused unless the user may delete every record it removes.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.services.enterprise_archive import (
    HARD_DELETE_PERMISSION,
    describe_records,
    enterprise_delete,
    enterprise_hard_delete,
    enterprise_records,
    enterprise_restore,
)

ARCHIVED_FLAG = "_tidu_archived"


class ArchivedFilter(admin.SimpleListFilter):
    """The register by default; archived enterprises on request."""

    title = gettext_lazy("归档状态")
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("true", gettext_lazy("已归档")), ("all", gettext_lazy("全部"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("在册"),
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == "true":
            return queryset.archived()
        if self.value() == "all":
            return queryset
        return queryset.active()


class EnterpriseArchiveAdminMixin:
    def get_deleted_objects(self, objs, request):
        # An enterprise with official records is archived, not deleted: nothing cascades, so no
        # permission on designations or metrics is asked for and none is listed as going.
        objs = list(objs)
        if any(enterprise_records(obj) for obj in objs):
            shown = [
                _("%(enterprise)s：已有%(records)s，将归档（可恢复），不会删除。")
                % {"enterprise": obj, "records": describe_records(records)}
                if (records := enterprise_records(obj))
                else str(obj)
                for obj in objs
            ]
            return shown, {}, set(), []
        return super().get_deleted_objects(objs, request)

    def delete_model(self, request, obj):
        if enterprise_delete(enterprise=obj, user=request.user):
            setattr(request, ARCHIVED_FLAG, getattr(request, ARCHIVED_FLAG, 0) + 1)

    @transaction.atomic  # all the selected rows, or none
    def delete_queryset(self, request, queryset):
        for enterprise in queryset:
            self.delete_model(request, enterprise)
        archived = getattr(request, ARCHIVED_FLAG, 0)
        if archived:
            self.message_user(
                request, _("其中 %(n)s 家企业已有正式记录，已归档而非删除。") % {"n": archived}, messages.WARNING
            )

    def response_delete(self, request, obj_display, obj_id):
        if not getattr(request, ARCHIVED_FLAG, 0):
            return super().response_delete(request, obj_display, obj_id)
        self.message_user(
            request,
            _("“%(name)s”已有认定记录、年度指标或评价结果，已归档而非删除；可在“归档状态：已归档”中找到并恢复。")
            % {"name": obj_display},
            messages.WARNING,
        )
        return HttpResponseRedirect(reverse("admin:tracker_enterprise_changelist", current_app=self.admin_site.name))

    def has_hard_delete_permission(self, request) -> bool:
        return request.user.has_perm(HARD_DELETE_PERMISSION)

    @admin.action(description=gettext_lazy("恢复所选的已归档企业"), permissions=["delete"])
    def restore_selected(self, request, queryset):
        restored = 0
        with transaction.atomic():
            for enterprise in queryset.archived():
                enterprise_restore(enterprise=enterprise, user=request.user)
                restored += 1
        self.message_user(
            request, _("已恢复 %(n)s 家企业；下次评价运行将重新计算。") % {"n": restored}, messages.SUCCESS
        )

    @admin.action(description=gettext_lazy("彻底删除所选企业（含认定、指标和评价结果）"), permissions=["hard_delete"])
    def hard_delete_selected(self, request, queryset):
        enterprises = list(queryset)
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("confirm") != "yes" or not reason:
            rows = [(enterprise, describe_records(enterprise_records(enterprise))) for enterprise in enterprises]
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("彻底删除企业"),
                "rows": rows,
            }
            return TemplateResponse(request, "admin/tracker/enterprise/hard_delete_confirmation.html", context)
        try:
            with transaction.atomic():
                for enterprise in enterprises:
                    enterprise_hard_delete(enterprise=enterprise, user=request.user, reason=reason)
        except PermissionDenied as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(
            request, _("已彻底删除 %(n)s 家企业，记录已写入历史。") % {"n": len(enterprises)}, messages.SUCCESS
        )
        return None
