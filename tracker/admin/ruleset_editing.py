"""The pages that change a draft's criteria, and the ones around them.

- ``criteria/``: the table (tracker/admin/ruleset_criteria.py); saving shows the preview.
- ``upload/`` and ``yaml/``: the whole definition as a YAML file, uploaded or downloaded.
- ``preview/``: who the draft would make eligible or not, against the ruleset in force: computed in the
  background (tracker/services/ruleset_preview_jobs.py), queued by every save of the criteria; the page
  shows its progress, refreshing itself, then its result.
- ``copy/``: a new draft from any ruleset, with its own version name and effective date.

Only a draft's criteria change, and only for users who may change rulesets (``has_change_permission``
says no for an active or retired ruleset); the services check it again on the locked row.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.admin.ruleset_criteria import CriteriaFormSet, table_lines
from tracker.models import Ruleset
from tracker.selectors.rulesets import shown_preview
from tracker.services.ruleset_criteria import changes_text, criterion_rows, ruleset_criteria_update
from tracker.services.ruleset_errors import DefinitionInvalid
from tracker.services.ruleset_preview_jobs import ruleset_preview_request
from tracker.services.ruleset_yaml import MAX_BYTES, definition_yaml, ruleset_yaml_upload
from tracker.services.rulesets import draft_version, ruleset_copy_as_draft

PUBLISH_PERMISSION = "tracker.publish_ruleset"


class DefinitionUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("YAML 文件"),
        help_text=gettext_lazy("整体替换本草稿的认定条件。可先下载当前认定条件的 YAML，修改后再上传。"),
    )


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # a browser's date picker takes ISO


class CopyForm(forms.Form):
    version = forms.CharField(label=gettext_lazy("新版本"), max_length=Ruleset._meta.get_field("version").max_length)
    effective_from = forms.DateField(label=gettext_lazy("施行日期"), widget=DATE_INPUT)
    effective_to = forms.DateField(
        label=gettext_lazy("截止日期"),
        required=False,
        widget=DATE_INPUT,
        help_text=gettext_lazy("留空表示持续有效。"),
    )


def _revision(request) -> int | None:
    """The revision the page was opened at (its hidden field); None when the page did not say."""
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return None


class RulesetEditingMixin:
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/criteria/", view(self.criteria_view), name="tracker_ruleset_criteria"),
            path("<int:pk>/preview/", view(self.draft_preview_view), name="tracker_ruleset_preview"),
            path("<int:pk>/yaml/", view(self.yaml_download_view), name="tracker_ruleset_yaml"),
            path("<int:pk>/upload/", view(self.yaml_upload_view), name="tracker_ruleset_upload"),
            path("<int:pk>/copy/", view(self.copy_view), name="tracker_ruleset_copy"),
            *super().get_urls(),
        ]

    def _ruleset(self, request, pk) -> Ruleset:
        ruleset = self.get_object(request, unquote(str(pk)))
        if ruleset is None:
            raise Http404
        return ruleset

    def _draft(self, request, pk) -> Ruleset:
        """A draft the user may change: an active or retired ruleset is an official record (403)."""
        ruleset = self._ruleset(request, pk)
        if not self.has_change_permission(request, ruleset):
            raise PermissionDenied
        return ruleset

    def _context(self, request, ruleset: Ruleset, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": ruleset,
            "ruleset": ruleset,
            "title": title,
            **extra,
        }

    # -- the table ---------------------------------------------------------------------------

    def criteria_view(self, request, pk):
        ruleset = self._draft(request, pk)
        rows = criterion_rows(ruleset.definition)
        if request.method == "POST":
            formset = CriteriaFormSet(request.POST, rows=rows, prefix="criteria")
            if formset.is_valid():
                try:
                    changes = ruleset_criteria_update(
                        ruleset=ruleset, edits=formset.edits(), user=request.user, expected_revision=_revision(request)
                    )
                except DefinitionInvalid as error:
                    formset.add_definition_error(error)
                except ValidationError as error:  # someone else saved meanwhile, or it is no longer a draft
                    formset.non_form_errors().extend(error.messages)
                else:
                    return self._saved(request, ruleset, changes)
        else:
            formset = CriteriaFormSet(rows=rows, prefix="criteria")
        context = self._context(
            request,
            ruleset,
            _("表格编辑认定条件：%(ruleset)s") % {"ruleset": ruleset},
            formset=formset,
            errors=formset.error_summary() if formset.is_bound else [],
            lines=table_lines(formset.forms),
        )
        return TemplateResponse(request, "admin/tracker/ruleset/criteria.html", context)

    def _saved(self, request, ruleset: Ruleset, changes: list) -> HttpResponseRedirect:
        if not changes:
            self.message_user(request, _("未做任何修改。"), messages.INFO)
            return HttpResponseRedirect(reverse("admin:tracker_ruleset_criteria", args=[ruleset.pk]))
        self.message_user(
            request,
            _("已保存 %(count)s 处修改（第 %(revision)s 次修订）：%(changes)s。以下是草稿与现行标准的差异。")
            % {"count": len(changes), "revision": ruleset.revision, "changes": changes_text(changes)},
            messages.SUCCESS,
        )
        return self._preview_queued(request, ruleset)

    # -- the draft against the ruleset in force ----------------------------------------------

    def _preview_queued(self, request, ruleset: Ruleset) -> HttpResponseRedirect:
        """Queue the preview of the draft's current revision and go to its page (where it shows at once
        when tasks run eagerly, as in the embedded demo)."""
        try:
            ruleset_preview_request(ruleset=ruleset, user=request.user)
        except ValidationError as error:  # activated meanwhile: nothing left to preview
            self.message_user(request, "；".join(error.messages), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:tracker_ruleset_change", args=[ruleset.pk]))
        return HttpResponseRedirect(reverse("admin:tracker_ruleset_preview", args=[ruleset.pk]))

    def draft_preview_view(self, request, pk):
        """The latest preview of the draft: progress while it runs (the page refreshes itself), then the
        result; POST queues a new one (a double click joins the one already queued)."""
        ruleset = self._draft(request, pk)
        if request.method == "POST":
            return self._preview_queued(request, ruleset)
        preview = shown_preview(ruleset)
        outdated = preview is not None and preview.revision != ruleset.revision
        context = self._context(
            request,
            ruleset,
            _("草稿与现行标准的差异：%(ruleset)s") % {"ruleset": ruleset},
            preview=preview,
            outdated=outdated,
            current=preview is not None and not outdated and preview.status == preview.Status.DONE,
            can_publish=request.user.has_perm(PUBLISH_PERMISSION),
        )
        return TemplateResponse(request, "admin/tracker/ruleset/preview.html", context)

    # -- YAML ----------------------------------------------------------------------------------

    def yaml_download_view(self, request, pk):
        ruleset = self._ruleset(request, pk)
        if not self.has_view_or_change_permission(request, ruleset):
            raise PermissionDenied
        response = HttpResponse(definition_yaml(ruleset), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{ruleset.tier_id}-{ruleset.version}.yaml")
        return response

    def yaml_upload_view(self, request, pk):
        ruleset = self._draft(request, pk)
        errors = []
        if request.method == "POST":
            form = DefinitionUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    changed = ruleset_yaml_upload(
                        ruleset=ruleset,
                        content=upload.read(MAX_BYTES + 1),
                        user=request.user,
                        expected_revision=_revision(request),
                        name=upload.name,
                    )
                except DefinitionInvalid as error:
                    errors.append(_yaml_error(error))
                except ValidationError as error:
                    errors.extend(error.messages)
                else:
                    if not changed:
                        self.message_user(request, _("上传的认定条件与当前内容相同，未做修改。"), messages.INFO)
                        return HttpResponseRedirect(reverse("admin:tracker_ruleset_change", args=[ruleset.pk]))
                    self.message_user(
                        request,
                        _("已用 %(name)s 替换认定条件（第 %(revision)s 次修订）。以下是草稿与现行标准的差异。")
                        % {"name": upload.name, "revision": ruleset.revision},
                        messages.SUCCESS,
                    )
                    return self._preview_queued(request, ruleset)
        else:
            form = DefinitionUploadForm()
        context = self._context(
            request, ruleset, _("上传 YAML 替换认定条件：%(ruleset)s") % {"ruleset": ruleset}, form=form, errors=errors
        )
        return TemplateResponse(request, "admin/tracker/ruleset/upload.html", context)

    # -- a new draft ---------------------------------------------------------------------------

    def copy_view(self, request, pk):
        ruleset = self._ruleset(request, pk)
        if not (self.has_add_permission(request) and self.has_view_or_change_permission(request, ruleset)):
            raise PermissionDenied
        if request.method == "POST":
            form = CopyForm(request.POST)
            if form.is_valid():
                try:
                    draft = ruleset_copy_as_draft(ruleset=ruleset, user=request.user, **form.cleaned_data)
                except ValidationError as error:
                    _form_errors(form, error)
                else:
                    self.message_user(
                        request,
                        _("已创建草稿 %(version)s，可在下表修改认定条件。") % {"version": draft.version},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:tracker_ruleset_criteria", args=[draft.pk]))
        else:
            form = CopyForm(initial={"version": draft_version(ruleset), "effective_from": timezone.localdate()})
        context = self._context(request, ruleset, _("复制为新草稿：%(ruleset)s") % {"ruleset": ruleset}, form=form)
        return TemplateResponse(request, "admin/tracker/ruleset/copy.html", context)


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    """A model's errors on the form's fields where it has them (version, dates), above it otherwise."""
    for field, messages_ in error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]:
        form.add_error(field if field in form.fields else None, messages_)


def _yaml_error(error: DefinitionInvalid) -> str:
    line = getattr(error, "line", None)
    where = error.where or _("根节点")
    if line:
        return _("YAML 路径 %(where)s，第 %(line)s 行：%(error)s") % {"where": where, "line": line, "error": error.text}
    return _("YAML 路径 %(where)s：%(error)s") % {"where": where, "error": error.text}

