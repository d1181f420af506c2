from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tracker.admin import display
from tracker.admin.base import UserFormMixin
from tracker.admin.history import HistoryAdmin
from tracker.admin.ruleset_editing import PUBLISH_PERMISSION, RulesetEditingMixin
from tracker.admin.ruleset_table import definition_table
from tracker.models import Ruleset
from tracker.services.ruleset_preview import ruleset_preview
from tracker.services.rulesets import ruleset_copy_as_draft, ruleset_validate


class RulesetForm(forms.ModelForm):
    user = None  # set per request by UserFormMixin

    class Meta:
        model = Ruleset
        fields = [
            "tier",
            "version",
            "status",
            "mode",
            "jurisdiction",
            "effective_from",
            "effective_to",
            "granted_from",
            "granted_to",
            "reference",
            "definition",
        ]
        widgets = {
            "definition": forms.Textarea(attrs={"rows": 30, "cols": 120, "style": "font-family: monospace"}),
            "reference": forms.Textarea(attrs={"rows": 3, "cols": 120}),
        }

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status and status != Ruleset.Status.DRAFT and not self.user.has_perm(PUBLISH_PERMISSION):
            # Province staff draft criteria; making them binding is the province administrator's act.
            self.add_error("status", _("您只能保存草稿；认定标准生效或废止须由省级管理员办理。"))
        if "definition" in cleaned:
            tier = cleaned.get("tier")
            try:
                # The engine's validation names the offending node; with the tier, cycles are caught too.
                ruleset_validate(definition=cleaned["definition"], tier=tier.pk if tier else None)
            except ValidationError as exc:
                self.add_error("definition", exc.message_dict["definition"])
        return cleaned


@admin.register(Ruleset)
class RulesetAdmin(RulesetEditingMixin, UserFormMixin, HistoryAdmin):
    form = RulesetForm
    list_display = [
        "tier",
        "version",
        "effective_from_display",
        "effective_to_display",
        "mode",
        "jurisdiction",
        "status",
    ]
    list_filter = ["tier", "status", "mode"]
    list_select_related = ["tier", "jurisdiction"]
    search_fields = ["version", "reference"]
    autocomplete_fields = ["jurisdiction"]
    ordering = ["tier", "-effective_from", "version"]
    actions = ["copy_as_draft", "retire", "preview_against_active"]
    readonly_fields = ["definition_display", "revision", "created_by", "created_at"]
    fieldsets = [
        (None, {"fields": ["tier", "version", "status", "mode", "jurisdiction"]}),
        (_("施行期间"), {"fields": ["effective_from", "effective_to", "granted_from", "granted_to"]}),
        (_("政策依据"), {"fields": ["reference"]}),
        (_("认定条件"), {"fields": ["definition_display", "definition"]}),
        (_("记录"), {"fields": ["revision", "created_by", "created_at"], "classes": ["collapse"]}),
    ]

    def has_change_permission(self, request, obj=None):
        # An active (or retired) ruleset is immutable: new criteria mean a new version.
        if obj is not None and obj.status != Ruleset.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(name, opts) for name, opts in self.fieldsets if name != _("记录")]
        # A stored ruleset's criteria are shown as a table; a draft's change through the criteria table or
        # a YAML upload (tracker/admin/ruleset_editing.py), which check the revision: this form does not
        # carry the definition, so saving its metadata cannot write back criteria saved meanwhile.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "definition"]})
            for name, opts in self.fieldsets
        ]

    @admin.display(description=_("认定条件（表格）"))
    def definition_display(self, ruleset: Ruleset):
        if ruleset.pk is None:
            return display.MISSING
        return definition_table(ruleset.definition)

    @admin.display(description=Ruleset._meta.get_field("effective_from").verbose_name, ordering="effective_from")
    def effective_from_display(self, ruleset: Ruleset) -> str:
        return display.day(ruleset.effective_from)

    @admin.display(description=Ruleset._meta.get_field("effective_to").verbose_name, ordering="effective_to")
    def effective_to_display(self, ruleset: Ruleset) -> str:
        return display.day(ruleset.effective_to)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            return
        # Only what this form changed: a whole-row save would put back the definition as it was read.
        concrete = {field.name for field in Ruleset._meta.concrete_fields}
        fields = [name for name in form.changed_data if name in concrete]
        if fields:
            obj.revision += 1
            obj.save(update_fields=[*fields, "revision"])

    @admin.action(description=_("复制为新草稿"), permissions=["add"])
    def copy_as_draft(self, request, queryset):
        with transaction.atomic():
            copies = [
                ruleset_copy_as_draft(ruleset=ruleset, user=request.user) for ruleset in queryset.select_related("tier")
            ]
        self.message_user(
            request,
            ngettext("已创建 %(count)d 个草稿：%(versions)s", "已创建 %(count)d 个草稿：%(versions)s", len(copies))
            % {"count": len(copies), "versions": "、".join(c.version for c in copies)},
            messages.SUCCESS,
        )

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)

    @admin.action(description=_("标记为废止"), permissions=["publish"])
    def retire(self, request, queryset):
        count = 0
        for ruleset in queryset.filter(status=Ruleset.Status.ACTIVE):
            ruleset.status = Ruleset.Status.RETIRED
            ruleset._history_user = request.user
            ruleset.save(update_fields=["status"])
            count += 1
        self.message_user(request, _("已废止 %(count)d 个认定标准。") % {"count": count}, messages.SUCCESS)

    # Drafts are compared over every enterprise of the province and name examples: for those who
    # draft criteria (province roles), not for a city's read-only users who may view rulesets.
    @admin.action(description=_("预览与现行标准的差异"), permissions=["change"])
    def preview_against_active(self, request, queryset):
        """An intermediate page: per selected draft, who would gain or lose eligibility."""
        drafts = list(queryset.filter(status=Ruleset.Status.DRAFT).select_related("tier", "jurisdiction"))
        if not drafts:
            self.message_user(request, _("请选择草稿状态的认定标准。"), messages.WARNING)
            return None
        previews, errors = [], []
        for draft in drafts:
            try:
                previews.append({"ruleset": draft, **ruleset_preview(draft=draft)})
            except ValidationError as exc:
                errors.append(f"{draft.version}：{'；'.join(exc.messages)}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("预览与现行标准的差异"),
            "previews": previews,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/tracker/ruleset/preview.html", context)
