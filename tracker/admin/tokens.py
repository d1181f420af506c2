"""API tokens in the admin: create one (named, with a lifetime) and see it once; revoke by deleting.

Knox's own admin would show digests and let an expiry be typed by hand; it is replaced by this one.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from tracker.models import ApiToken
from tracker.services.tokens import MAX_DAYS, api_token_create, api_token_revoke

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


class ApiTokenCreateForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("有效天数"), min_value=1, max_value=MAX_DAYS, initial=90, help_text=_("到期后令牌自动失效。")
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not user.is_active:
            raise ValidationError(_("该用户已停用，不能为其创建令牌。"))
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "token_key_shown", "created", "expiry", "is_valid"]
    list_filter = ["expiry"]
    search_fields = ["name", "user__username", "token_key"]
    autocomplete_fields = ["user"]
    actions = ["revoke_selected"]

    @admin.display(description=_("令牌前缀"))
    def token_key_shown(self, obj):
        return f"{obj.token_key}…"

    @admin.display(description=_("有效"), boolean=True)
    def is_valid(self, obj):
        return not obj.expired

    def has_change_permission(self, request, obj=None):
        return False  # a token is never edited: its name and lifetime are set when it is created

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # revoke_selected says what it does
        return actions

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["user", "name", "days"] if obj is None else ["user", "name", "token_key", "created", "expiry"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "token_key", "created", "expiry"]

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        token, secret = api_token_create(owner=data["user"], name=data["name"], days=data["days"], user=request.user)
        obj.pk, obj.token_key, obj.created, obj.expiry = token.pk, token.token_key, token.created, token.expiry
        self.message_user(
            request,
            format_html(
                _("已创建令牌“{}”，有效期至 {}。令牌只显示这一次，请立即复制并妥善保存：<code>{}</code>"),
                token.name,
                timezone.localtime(token.expiry).strftime("%Y-%m-%d"),
                secret,
            ),
            messages.WARNING,
        )

    def response_add(self, request, obj, post_url_continue=None):
        return self.response_post_save_add(request, obj)  # to the list: the token is in the message only

    def delete_model(self, request, obj):
        api_token_revoke(token=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, user=request.user)

    @admin.action(description=_("撤销所选令牌"), permissions=["delete"])
    def revoke_selected(self, request, queryset):
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(request, _("已撤销 %(count)d 个令牌。") % {"count": count}, messages.SUCCESS)
