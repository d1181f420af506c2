from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.text import validate_no_control_characters


class Tier(models.Model):
    """A rung of the cultivation ladder. The code is the primary key: it is the name integrators use."""

    class Track(models.TextChoices):
        QUALITY_SME = "quality_sme", _("优质中小企业梯度")
        GROWTH = "growth", _("高成长企业")
        CHAIN = "chain", _("产业链")

    code = models.SlugField(_("代码"), max_length=32, primary_key=True)
    name_zh = models.CharField(_("中文名称"), max_length=64, validators=[validate_no_control_characters])
    name_en = models.CharField(_("英文名称"), max_length=64, validators=[validate_no_control_characters])
    track = models.CharField(_("梯队"), max_length=16, choices=Track.choices)
    ladder_order = models.PositiveSmallIntegerField(_("梯度顺序"), help_text=_("同一梯队内由低到高。"))
    validity_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), null=True, blank=True, help_text=_("留空表示按年度名单管理。")
    )
    per_cluster = models.BooleanField(_("按集群认定"), default=False, help_text=_("如链主企业，按集群分别认定。"))
    description = models.TextField(_("说明"), blank=True, validators=[validate_no_control_characters])

    class Meta:
        verbose_name = _("梯度层级")
        verbose_name_plural = _("梯度层级")
        ordering = ["track", "ladder_order"]

    def __str__(self) -> str:
        return self.name_zh
