"""A change form that knows which version of the record it shows (tracker/models/versioning.py).

The form carries the version it was opened at in a hidden field. Saving it after someone else saved
the record does not overwrite their work: the form comes back with "此记录已被他人修改" and, field by
field, what is stored now against what this form would write. The service checks the version again
on the locked row (``expected_version``), so a save racing another one is refused the same way.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from tracker.admin import display

VERSION_FIELD = "base_version"


def _shown(value) -> str:
    if value is None or value == "":
        return display.MISSING
    if isinstance(value, bool):
        return display.boolean(value)
    return str(value)


class VersionedForm(forms.ModelForm):
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[VERSION_FIELD].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get(VERSION_FIELD)
        if self.instance.pk is None or seen is None or seen == self.instance.version:
            return cleaned
        differences = [
            (self.fields[name].label, _shown(getattr(self.instance, name, None)), _shown(cleaned.get(name)))
            for name in self.changed_data
            if name != VERSION_FIELD and name in self.fields
        ]
        # The next save is deliberate: it is made against the version now shown.
        data = self.data.copy()
        data[self.add_prefix(VERSION_FIELD)] = str(self.instance.version)
        self.data = data
        raise ValidationError(
            format_html(
                "{}<ul>{}</ul>{}",
                _("此记录已被他人修改（您打开的是第 %(seen)s 版，当前为第 %(current)s 版），本次保存未写入。")
                % {"seen": seen, "current": self.instance.version},
                format_html_join(
                    "", "<li>{}：{} → {}</li>", differences
                ) if differences else format_html("<li>{}</li>", _("您未修改任何与当前版本不同的内容。")),
                _("（字段：当前内容 → 您的内容）如确认以您的内容为准，请再次保存。"),
            ),
            code="stale",
        )

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get(VERSION_FIELD) if self.instance.pk is not None else None


class VersionedAdminMixin:
    """Renders the hidden version on the change form of users who may change the record."""

    def get_fieldsets(self, request, obj=None):
        return self.versioned_fieldsets(request, obj, super().get_fieldsets(request, obj))

    def versioned_fieldsets(self, request, obj, fieldsets):
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], VERSION_FIELD]}), *rest]
