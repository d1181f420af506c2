from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.text import validate_no_control_characters


class Role(models.TextChoices):
    """The roles of DESIGN §7, each a Django group of the same name created by ``bootstrap``."""

    PROVINCE_ADMIN = "province_admin", _("省级管理员")
    PROVINCE_STAFF = "province_staff", _("省级业务人员")
    REGION_STAFF = "region_staff", _("市级/县级业务人员")
    READ_ONLY = "read_only", _("只读用户")
    INTEGRATOR_RO = "integrator_ro", _("接口（只读）")
    INTEGRATOR_RW = "integrator_rw", _("接口（读写）")


class UserOffice(models.Model):
    """The region a user works for: what they see and may change (tracker/models/scoping.py).

    Written only by the role service (tracker/services/roles.py), together with the user's role group
    and a RoleGrant row.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="office"
    )
    region = models.ForeignKey(
        "tracker.Region", verbose_name=_("所属地区"), on_delete=models.PROTECT, related_name="offices"
    )
    unit = models.CharField(
        _("工作单位"),
        max_length=128,
        blank=True,
        help_text=_("如：南京市工业和信息化局。"),
        validators=[validate_no_control_characters],
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("用户所属地区")
        verbose_name_plural = _("用户所属地区")

    def __str__(self) -> str:
        return f"{self.user} · {self.region}"


class RoleGrant(models.Model):
    """The audit history of roles: one row per grant or revocation, never edited."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True, help_text=_("空表示撤销角色。"))
    region = models.ForeignKey(
        "tracker.Region", verbose_name=_("所属地区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.CharField(_("工作单位"), max_length=128, blank=True, validators=[validate_no_control_characters])
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("空表示由命令行授予。"),
    )
    granted_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True, validators=[validate_no_control_characters])

    class Meta:
        verbose_name = _("角色授权记录")
        verbose_name_plural = _("角色授权记录")
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display() or _('撤销角色')}"
