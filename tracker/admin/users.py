"""The user page: a user's role and office region are set here (or by ``manage.py grant_role``).

Groups and individual permissions are not edited by hand: the role field calls the role service,
which sets the one role group, the office and an audit row (docs/accounts.md). Superusers' accounts
are out of reach of anyone who is not a superuser.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tracker.admin.evaluation import ReadOnlyAdmin
from tracker.models import Region, Role, RoleGrant
from tracker.services.roles import role_grant, role_region_check, role_revoke, user_role

User = get_user_model()
NO_ROLE = ""


class UserRoleForm(UserChangeForm):
    role = forms.ChoiceField(
        label=_("角色"),
        choices=[(NO_ROLE, _("无角色（不能查看或修改任何数据）")), *Role.choices],
        required=False,
        help_text=_("省级角色的所属地区为江苏省；市级/县级业务人员为所在市或县（市、区）。"),
    )
    region = forms.ModelChoiceField(
        label=_("所属地区"),
        queryset=Region.objects.current(),
        required=False,
        help_text=_("决定该用户能看到和修改的范围：本地区及其下辖区县登记的企业。省级角色可留空。"),
    )
    unit = forms.CharField(label=_("工作单位"), required=False, max_length=128)
    note = forms.CharField(label=_("授权说明"), required=False, max_length=200, help_text=_("记入角色授权记录。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        office = getattr(self.instance, "office", None) if self.instance.pk else None
        self.initial.setdefault("role", (user_role(self.instance) or NO_ROLE) if self.instance.pk else NO_ROLE)
        self.initial.setdefault("region", office.region_id if office else None)
        self.initial.setdefault("unit", office.unit if office else "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role"):
            try:
                role_region_check(role=cleaned["role"], region=cleaned.get("region"))
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return cleaned

    def role_changed(self) -> bool:
        return bool({"role", "region", "unit"} & set(self.changed_data))


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    fields = ["granted_at", "role", "region", "unit", "granted_by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-granted_at", "-id"]
    verbose_name_plural = _("角色授权记录（审计）")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RoleFilter(admin.SimpleListFilter):
    title = _("角色")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() in Role.values else queryset


admin.site.unregister(User)


@admin.register(User)
class TiduUserAdmin(UserAdmin):
    form = UserRoleForm
    list_display = ["username", "full_name", "role_display", "office_region", "is_active", "last_login"]
    list_filter = [RoleFilter, "is_active"]
    list_select_related = ["office__region"]
    inlines = [RoleGrantInline]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        status = ["is_active", "is_staff", *(["is_superuser"] if request.user.is_superuser else [])]
        return [
            (None, {"fields": ["username", "password"]}),
            (_("个人信息"), {"fields": ["first_name", "last_name", "email"]}),
            (_("角色与所属地区"), {"fields": ["role", "region", "unit", "note"]}),
            (_("状态"), {"fields": status}),
            (_("重要日期"), {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        # is_staff follows the role (integrators use the API only); dates are facts.
        return ["is_staff", "last_login", "date_joined"] if obj is not None else []

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("groups")
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        return queryset

    @admin.display(description=_("姓名"))
    def full_name(self, user) -> str:
        return f"{user.last_name}{user.first_name}" or "—"

    @admin.display(description=_("角色"))
    def role_display(self, user) -> str:
        code = user_role(user)
        return Role(code).label if code else "—"

    @admin.display(description=_("所属地区"))
    def office_region(self, user) -> str:
        office = getattr(user, "office", None)
        return str(office.region) if office else "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.role_changed():
            note = form.cleaned_data.get("note", "")
            if form.cleaned_data.get("role"):
                role_grant(
                    user=obj,
                    role=form.cleaned_data["role"],
                    region=form.cleaned_data.get("region"),
                    unit=form.cleaned_data.get("unit", ""),
                    granted_by=request.user,
                    note=note,
                )
            else:
                role_revoke(user=obj, granted_by=request.user, note=note)


@admin.register(RoleGrant)
class RoleGrantAdmin(ReadOnlyAdmin):
    list_display = ["granted_at", "user", "role", "region", "unit", "granted_by", "note"]
    list_filter = ["role"]
    list_select_related = ["user", "region", "granted_by"]
    search_fields = ["user__username", "note"]
    ordering = ["-granted_at", "-id"]
