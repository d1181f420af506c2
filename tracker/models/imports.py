from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.models.scoping import RegionScopedQuerySet


class ImportJobQuerySet(RegionScopedQuerySet):
    """An import belongs to the region it was limited to: the office of the user who uploaded it."""

    region_lookup = "region"


class ImportJob(models.Model):
    """One Excel import: the file as uploaded, its dry run (preview) and, once confirmed, its commit.

    The import history: who, when, which file (kept), what it would change or changed, and the rows it
    rejected (a workbook staff can download, fix and upload again).
    """

    class Kind(models.TextChoices):
        ENTERPRISES = "enterprises", _("企业")
        METRICS = "metrics", _("年度指标")
        DESIGNATIONS = "designations", _("认定名单")

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        VALIDATING = "validating", _("校验中")
        PREVIEWED = "previewed", _("待确认")
        COMMITTING = "committing", _("导入中")
        COMMITTED = "committed", _("已导入")
        DISCARDED = "discarded", _("已放弃")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("导入类型"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region = models.ForeignKey(
        "tracker.Region",
        verbose_name=_("所属地区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("上传人的所属地区：导入只能新增或修改该地区的企业及其数据，本地区的用户可以查看。为空表示不受地区限制（系统运维）。"),
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认导入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    validated_at = models.DateTimeField(_("校验完成时间"), null=True, blank=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    phase = models.CharField(_("当前步骤"), max_length=64, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    new_count = models.PositiveIntegerField(_("新增"), default=0)
    changed_count = models.PositiveIntegerField(_("变更"), default=0)
    unchanged_count = models.PositiveIntegerField(_("无变化"), default=0)
    rejected_count = models.PositiveIntegerField(_("拒绝"), default=0)
    preview = models.JSONField(_("预览"), default=dict, blank=True)
    plan_digest = models.CharField(_("预览指纹"), max_length=64, blank=True)
    rejected_file = models.FileField(_("被拒绝的行"), upload_to="imports/rejected/%Y/%m/", blank=True)
    error_message = models.TextField(_("错误信息"), blank=True)
    seconds = models.JSONField(_("耗时（秒）"), default=dict, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("Excel 导入")
        verbose_name_plural = _("Excel 导入")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="importjob_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.VALIDATING, self.Status.COMMITTING)
