"""The scopes a user may name for a report (to build one, or to receive the nightly one): the province,
the cities and the counties in force, within the user's own region (the read layer's rule)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.models import Region

# A scope's place in the list: the province, then each city followed by its counties.
_INDENT = {Region.Level.PROVINCE: "", Region.Level.PREFECTURE: "\u3000", Region.Level.COUNTY: "\u3000\u3000"}


def report_scopes(user):
    return (
        Region.objects.current().visible_to(user)
        .filter(level__in=list(_INDENT)).order_by("code")
    )


class ScopeField(forms.ModelChoiceField):
    """A select of the user's report scopes, indented by level ("苏州市（320500）", "　　昆山市（320583）")."""

    def __init__(self, *, user, **kwargs):
        kwargs.setdefault("label", _("报告范围"))
        super().__init__(queryset=report_scopes(user), to_field_name="code", **kwargs)  # posted as its code

    def label_from_instance(self, region):
        return f"{_INDENT.get(region.level, '')}{region.name}（{region.code}）"
