"""Who receives which nightly report by email: each reader's own page ("我的报告订阅", reached from the
report list and each report page) and, for the province administrator, everyone's subscriptions.

Both write through the services (``report_subscribe``, ``report_unsubscribe``), which check that the
scope is within what the subscriber — and whoever subscribes them — may see.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker.admin.base import UserFormMixin, VisibleAdminMixin
from tracker.admin.report_scopes import ScopeField
from tracker.models import ReportSubscription
from tracker.services.reports import report_subscribe, report_unsubscribe, subscription_region_check


class SubscribeForm(forms.Form):
    region = forms.CharField(widget=forms.HiddenInput)  # replaced by a ScopeField for the reader

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = ScopeField(user=user, empty_label=None)


def my_subscriptions_view(model_admin, request):
    """The reader's own subscriptions: subscribe to a scope's nightly report, pause, resume or end one."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    user = request.user
    form = SubscribeForm(user=user)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "subscribe":
                form = SubscribeForm(request.POST, user=user)
                if form.is_valid():
                    region = form.cleaned_data["region"]
                    report_subscribe(user=user, region_code=region.code)
                    model_admin.message_user(request, gettext("已订阅%(scope)s的夜间报告。") % {"scope": region.name},
                                             messages.SUCCESS)
                    return _back(request)
            elif action in ("pause", "resume"):
                report_subscribe(user=user, region_code=request.POST.get("region", ""), enabled=action == "resume")
                return _back(request)
            elif action == "unsubscribe":
                report_unsubscribe(user=user, region_code=request.POST.get("region", ""))
                model_admin.message_user(request, gettext("已退订。"), messages.SUCCESS)
                return _back(request)
        except ValidationError as error:
            model_admin.message_user(request, "；".join(error.messages), messages.ERROR)
            return _back(request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": gettext("我的报告订阅"),
        "subscriptions": ReportSubscription.objects.filter(user=user).select_related("region"),
        "form": form,
        "changelist_url": reverse("admin:tracker_tierreport_changelist"),
        "manage_url": reverse("admin:tracker_reportsubscription_changelist")
        if request.user.has_perm("tracker.view_reportsubscription") else "",
    }
    return TemplateResponse(request, "admin/tracker/tierreport/subscriptions.html", context)


def _back(request):
    """To the page the form was on (a report page's button), else to the subscriptions page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("admin:tracker_tierreport_subscriptions")
    return HttpResponseRedirect(target)


class SubscriptionAddForm(forms.ModelForm):
    """Subscribe a user to a scope: the service's checks run here, so a refusal is a field error."""

    class Meta:
        model = ReportSubscription
        fields = ["user", "region", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = ScopeField(user=self.user, help_text=ReportSubscription._meta.get_field(
            "region").help_text)
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("user") and cleaned.get("region"):
            try:
                subscription_region_check(user=cleaned["user"], region_code=cleaned["region"].code, by=self.user)
            except ValidationError as error:
                self.add_error("region", error.messages)
            except PermissionDenied as error:
                raise ValidationError(str(error)) from None
        return cleaned

    def validate_unique(self):
        pass  # a second subscription of a user to a scope updates the first (report_subscribe)


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(VisibleAdminMixin, UserFormMixin, admin.ModelAdmin):
    """Everyone's subscriptions: the province administrator's (the model's permissions); the list holds
    the subscriptions to the scopes within the manager's region."""

    list_display = ["user", "email", "region", "enabled", "created_at"]
    list_filter = ["enabled", "region__level"]
    list_select_related = ["user", "region"]
    search_fields = ["user__username", "user__email", "region__name", "region__code"]
    form = SubscriptionAddForm

    @admin.display(description=_("电子邮箱"), ordering="user__email")
    def email(self, subscription):
        return subscription.user.email or gettext("（未填写，收不到邮件）")

    def get_fields(self, request, obj=None):
        return ["user", "region", "enabled"] if obj is None else ["user", "region", "enabled", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "region", "created_at"]  # a change pauses or resumes

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        saved = report_subscribe(user=obj.user, region_code=obj.region.code, enabled=obj.enabled, by=request.user)
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        report_unsubscribe(user=obj.user, region_code=obj.region.code, by=request.user)

    def delete_queryset(self, request, queryset):
        for subscription in queryset.select_related("user", "region"):  # a handful, each checked
            self.delete_model(request, subscription)
