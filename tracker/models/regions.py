from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.models.scoping import RegionScopedQuerySet
from tracker.text import validate_no_control_characters


class RegionQuerySet(RegionScopedQuerySet):
    region_lookup = "pk"

    def current(self) -> "RegionQuerySet":
        """Codes in use today: retired codes (merged districts) are kept for old records only."""
        return self.filter(retired_in__isnull=True)


class Region(models.Model):
    """An administrative division by its GB/T 2260 code; users are scoped by code prefix.

    A code that was abolished (two districts merged, a county became a district) stays, marked with
    the year it was retired and its successor, so enterprises and USCCs that carry it still resolve.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        PREFECTURE = "prefecture", _("地级")
        COUNTY = "county", _("县级")

    code = models.CharField(
        _("行政区划代码"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", _("行政区划代码应为 6 位数字（GB/T 2260）。"))],
    )
    name = models.CharField(_("名称"), max_length=64, validators=[validate_no_control_characters])
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True, validators=[validate_no_control_characters])
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    retired_in = models.PositiveSmallIntegerField(
        _("撤销年份"), null=True, blank=True, help_text=_("留空表示现行代码。")
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("承继区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        help_text=_("撤销后其行政区域并入的现行区划。"),
    )
    note = models.CharField(_("变更说明"), max_length=200, blank=True, validators=[validate_no_control_characters])

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        if self.retired_in:
            return f"{self.name}（{self.code}，已撤销）"
        return f"{self.name}（{self.code}）"

    def natural_key(self):
        return (self.code,)
