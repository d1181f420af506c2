"""How the API applies the read layer's ``visible_to`` (tracker/models/scoping.py) to every door.

Views start from the requesting user's rows, so a list, a count, a search and a detail lookup never
reach another region (a detail outside it is a 404, exactly like an id that does not exist);
serializers and filters offer only visible objects as choices, so naming another region's enterprise
in a body or a filter is "not found" too. None of this writes a scoping rule of its own.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import relations

NOT_VISIBLE = _("“{value}”不存在或不在您的管辖范围内。")


class VisibleQuerysetMixin:
    """A view whose queryset is narrowed to what ``request.user`` may see."""

    def get_queryset(self):
        queryset = super().get_queryset()
        visible_to = getattr(queryset, "visible_to", None)
        return queryset if visible_to is None else visible_to(self.request.user)


class VisibleRelationsMixin:
    """A serializer whose related fields accept only objects the requesting user may see."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        for field in fields.values():
            relation = getattr(field, "child_relation", field)
            queryset = getattr(relation, "queryset", None)
            if queryset is None or not hasattr(queryset, "visible_to") or request is None:
                continue
            relation.queryset = queryset.visible_to(request.user)
            message = NOT_VISIBLE.format(value="{pk_value}" if isinstance(relation, relations.PrimaryKeyRelatedField)
                                         else "{value}")
            relation.error_messages["does_not_exist"] = message
        return fields


def visible(queryset):
    """A django-filter ``queryset`` argument: the choices the requesting user may see (none without a
    request, as when the schema is generated)."""

    def choices(request):
        if request is None:
            return queryset.none()
        return queryset.visible_to(request.user)

    return choices
