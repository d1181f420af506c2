from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tracker.admin import display
from tracker.admin.base import UserFormMixin
from tracker.admin.history import HistoryAdmin
from tracker.admin.ruleset_editing import PUBLISH_PERMISSION, RulesetEditingMixin
from tracker.admin.ruleset_table import definition_table
from tracker.models import Ruleset
from tracker.selectors.rulesets import shown_preview
from tracker.services.ruleset_preview_jobs import ruleset_activation_check, ruleset_preview_request
from tracker.services.rulesets import ruleset_copy_as_draft, ruleset_validate

# What a preview compared besides the criteria: changing them with the activation leaves it unseen.
COMPARED_FIELDS = ("tier", "jurisdiction")


class RulesetForm(forms.ModelForm):
    user = None  # set per request by UserFormMixin
    # The revision this form was opened at. A draft's criteria change elsewhere (the criteria table, a
    # YAML upload, the command line) while this form is open: saving it — above all setting it to
    # "生效" — must not apply to criteria its user has not seen.
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "base_revision" in self.fields:
            self.fields["base_revision"].initial = self.instance.revision

    def clean(self):
        cleaned = super().clean()
        self._revision_check(cleaned.get("base_revision"))
        status = cleaned.get("status")
        if status and status != Ruleset.Status.DRAFT and not self.user.has_perm(PUBLISH_PERMISSION):
            # Province staff draft criteria; making them binding is the province administrator's act.
            self.add_error("status", _("您只能保存草稿；认定标准生效或废止须由省级管理员办理。"))
        elif status == Ruleset.Status.ACTIVE and self.instance.status != Ruleset.Status.ACTIVE:
            self._activation_check()
        if "definition" in cleaned:
            tier = cleaned.get("tier")
            try:
                # The engine's validation names the offending node; with the tier, cycles are caught too.
                ruleset_validate(definition=cleaned["definition"], tier=tier.pk if tier else None)
            except ValidationError as exc:
                self.add_error("definition", exc.message_dict["definition"])
        return cleaned

    def _revision_check(self, seen: int | None) -> None:
        """Refuse a save made on an earlier revision. The row is locked for the rest of the admin's
        transaction, so no other save can slip between this check and this form's save."""
        if self.instance.pk is None or seen is None:
            return
        stored = Ruleset.objects.select_for_update().filter(pk=self.instance.pk).values_list("revision", flat=True)
        current = stored.first()
        if current is None or current == seen:
            return
        # The next save is deliberate: it is made against the revision now shown.
        data = self.data.copy()
        data[self.add_prefix("base_revision")] = str(current)
        self.data = data
        raise ValidationError(
            _(
                "此认定标准已被他人修改（您打开的是第 %(seen)s 次修订，当前为第 %(current)s 次），本次保存未写入。"
                "请先查看当前的认定条件和差异预览；如仍要保存，请再次提交。"
            )
            % {"seen": seen, "current": current},
            code="stale",
        )

    def _activation_check(self) -> None:
        """The province administrator activates a draft having seen its preview: one of the revision
        stored now (``self.instance`` is still the stored row here), with the same tier and region."""
        try:
            if self.instance.pk is not None and set(COMPARED_FIELDS) & set(self.changed_data):
                raise ValidationError(_("层级或适用地区已改变：请先保存草稿，重新计算差异预览后再使之生效。"))
            ruleset_activation_check(ruleset=self.instance)
        except ValidationError as exc:
            self.add_error("status", exc.messages)


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
    readonly_fields = ["preview_display", "definition_display", "revision", "created_by", "created_at"]
    fieldsets = [
        (None, {"fields": ["tier", "version", "status", "preview_display", "mode", "jurisdiction"]}),
        (_("施行期间"), {"fields": ["effective_from", "effective_to", "granted_from", "granted_to"]}),
        (_("政策依据"), {"fields": ["reference"]}),
        (_("认定条件"), {"fields": ["definition_display", "definition"]}),
        (_("记录"), {"fields": ["revision", "created_by", "created_at"], "classes": ["collapse"]}),
    ]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The form validates into this same instance: a refused activation leaves "active" on it,
            # and the page it comes back to must still be the draft's editable one.
            obj.stored_status = obj.status
        return obj

    def has_change_permission(self, request, obj=None):
        # An active (or retired) ruleset is immutable: new criteria mean a new version.
        if obj is not None and getattr(obj, "stored_status", obj.status) != Ruleset.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not self.has_change_permission(request, obj):
            form.base_fields.pop("base_revision", None)  # only where the form can be saved
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f != "preview_display"]})
                for name, opts in self.fieldsets
                if name != _("记录")
            ]
        # A stored ruleset's criteria are shown as a table; a draft's change through the criteria table or
        # a YAML upload (tracker/admin/ruleset_editing.py), which check the revision: this form does not
        # carry the definition, so saving its metadata cannot write back criteria saved meanwhile.
        hidden = {"definition"} if obj.status == Ruleset.Status.DRAFT else {"definition", "preview_display"}
        fieldsets = [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]}) for name, opts in self.fieldsets
        ]
        if self.has_change_permission(request, obj):  # the revision the form is opened at, hidden
            (name, opts), *rest = fieldsets
            fieldsets = [(name, {**opts, "fields": [*opts["fields"], "base_revision"]}), *rest]
        return fieldsets

    @admin.display(description=_("差异预览"))
    def preview_display(self, ruleset: Ruleset):
        """Where the draft's preview stands, beside the status the province administrator changes."""
        preview = shown_preview(ruleset)
        link = reverse("admin:tracker_ruleset_preview", args=[ruleset.pk])
        if preview is None:
            return format_html('<a href="{}">{}</a>', link, _("尚未计算，生效前须先计算"))
        if preview.revision != ruleset.revision:
            text = _("第 %(revision)s 次修订的预览，已过时") % {"revision": preview.revision}
        elif preview.status == preview.Status.DONE:
            text = _("新符合 %(gained)s 家，不再符合 %(lost)s 家（第 %(revision)s 次修订）") % {
                "gained": preview.result.get("gained"),
                "lost": preview.result.get("lost"),
                "revision": preview.revision,
            }
        else:
            text = preview.get_status_display()
        return format_html('<a href="{}" id="ruleset-preview-state">{}</a>', link, text)

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
            if obj.status == Ruleset.Status.DRAFT:
                # A new revision: its preview, so that it is ready when the draft is to be activated.
                ruleset_preview_request(ruleset=obj, user=request.user)

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
        """Queue each selected draft's preview; one draft: to its page, several: links to theirs."""
        drafts = list(queryset.filter(status=Ruleset.Status.DRAFT).select_related("tier"))
        if not drafts:
            self.message_user(request, _("请选择草稿状态的认定标准。"), messages.WARNING)
            return None
        for draft in drafts:
            ruleset_preview_request(ruleset=draft, user=request.user)
        if len(drafts) == 1:
            return HttpResponseRedirect(reverse("admin:tracker_ruleset_preview", args=[drafts[0].pk]))
        links = format_html_join(
            "、",
            '<a href="{}">{}</a>',
            ((reverse("admin:tracker_ruleset_preview", args=[d.pk]), str(d)) for d in drafts),
        )
        self.message_user(
            request,
            format_html("{}{}", _("已开始计算差异预览，完成后可在各草稿的预览页查看："), links),
            messages.SUCCESS,
        )
        return None
