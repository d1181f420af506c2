"""What every admin shares: reading through the read layer, and writing through a service.

Every ModelAdmin and inline reads through ``VisibleAdminMixin``: its changelist, counts, change and
delete pages, actions, autocompletes (which search the target admin's queryset) and foreign-key
choices show only what the user may see (tracker/models/scoping.py); another region's object is
"not found", like an id that does not exist.

The admin and the API have one write path: ``save_model``/``save_formset``/``delete_model`` call the
services in tracker/services/. Forms run the services' checks in ``clean`` so staff see field errors;
a ValidationError that still comes out of a service (a concurrent edit) becomes a message, not a 500.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseRedirect

from tracker.admin.ordering import IndexedOrderChangeList
from tracker.admin.paginator import EstimatedCountPaginator


def visible_choices(formfield, request):
    """Narrow a relation's choices to what the user may see (for models the read layer scopes)."""
    queryset = getattr(formfield, "queryset", None)
    if queryset is not None and hasattr(queryset, "visible_to"):
        formfield.queryset = queryset.visible_to(request.user)
    return formfield


class VisibleAdminMixin:
    """A ModelAdmin or inline that reads through ``visible_to(request.user)``."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        visible_to = getattr(queryset, "visible_to", None)
        return queryset if visible_to is None else visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return visible_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return visible_choices(super().formfield_for_manytomany(db_field, request, **kwargs), request)

    def history_view(self, request, object_id, extra_context=None):
        # Django looks the object up first; without the permission the answer is 403 whatever the id.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


def form_values(form, *, changed_only: bool) -> dict:
    """The model-field values a ModelForm cleaned, optionally only those the user changed."""
    opts = form._meta.model._meta
    concrete = {f.name for f in opts.concrete_fields if not f.primary_key or not f.auto_created}
    names = form.changed_data if changed_only else form.cleaned_data.keys()
    return {name: form.cleaned_data[name] for name in names if name in concrete and name in form.cleaned_data}


def adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved instance stand for the row a create service saved."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def mark_formset_saved(formset, *, new=(), changed=(), deleted=()) -> None:
    """Fill the attributes formset.save() would set; the admin's change message reads them."""
    formset.new_objects = list(new)
    formset.changed_objects = list(changed)
    formset.deleted_objects = list(deleted)


class UserFormMixin:
    """Gives the ModelForm the requesting user (``self.user``) for permission-aware checks."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})


class ServiceAdminMixin(VisibleAdminMixin, UserFormMixin):
    """Paginator without unfiltered COUNT(*), sorting by the columns ``sortable_by`` names only, and a
    safety net for service errors."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return IndexedOrderChangeList

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            return self._refused(request, error)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            return self._refused(request, error)

    def changelist_view(self, request, extra_context=None):
        try:  # actions run here: a bulk delete the service refuses for one row
            return super().changelist_view(request, extra_context)
        except ValidationError as error:
            return self._refused(request, error)

    def _refused(self, request, error: ValidationError):
        # The write was rolled back with its transaction; say why and let the user retry.
        self.message_user(request, "；".join(error.messages), level=messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())
