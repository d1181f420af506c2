"""What the admin of a background job (an Excel import, an export) shares: a job is made by its own
page or button and never edited or deleted as a model; the change page goes to the job's own page;
and every page of a job finds it through the read layer, so another user's or region's job is "not
found" rather than forbidden."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from tracker.admin.base import VisibleAdminMixin


class JobAdminMixin(VisibleAdminMixin):
    job_page: str  # the URL name of a job's own page (it takes the job's pk)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)  # 403 without the permission, 404 when not visible
        return HttpResponseRedirect(reverse(self.job_page, args=[job.pk]))

    def _job(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(pk).isdigit():
            raise Http404
        return get_object_or_404(self.get_queryset(request), pk=pk)
