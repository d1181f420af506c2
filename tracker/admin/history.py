from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from tracker.admin.base import VisibleAdminMixin
from tracker.models.scoping import region_scope


class HistoryAdmin(VisibleAdminMixin, SimpleHistoryAdmin):
    """History pages (who changed what, when) without "revert": a revert would bypass the services.

    django-simple-history looks an object up in its history table when the live row is not found;
    here a row outside the user's region is a 404 first, and the history of deleted rows is for users
    who see everything (a deleted row has no region left to check against).
    """

    def revert_disabled(self, request, obj=None):
        return True

    def history_view(self, request, object_id, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        self._ensure_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET" or not self.has_view_or_change_permission(request):
            raise PermissionDenied  # a POST here would save an old version around the services
        self._ensure_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _ensure_visible(self, request, object_id) -> None:
        pk = unquote(object_id)
        try:
            if self.get_queryset(request).filter(pk=pk).exists():
                return
            deleted = not self.model._default_manager.filter(pk=pk).exists()
        except (ValueError, TypeError):
            raise Http404 from None
        if not (deleted and region_scope(request.user).unrestricted):
            raise Http404
