"""Excel exports too large to answer at once: the job a worker writes the file of, and who may read it.

A job records what was asked — who, which list, the changelist's query string (filters, search,
order) and the office region the user had — and the file it produced. It does not record rows or
SQL: the worker rebuilds the list for the user from the query string, through the read layer, so the
file holds what the user may see when it is written (tracker/services/exports.py).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.models.scoping import region_scope

DOWNLOAD_ANY = "tracker.download_any_exportjob"


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An export is its requester's. A province-wide user holding ``download_any_exportjob`` (the
        province admin) sees every export; anybody else only their own."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if region_scope(user).unrestricted and user.has_perm(DOWNLOAD_ANY):
            return self
        return self.filter(requested_by=user)

    def open(self):
        return self.filter(status__in=(ExportJob.Status.PENDING, ExportJob.Status.RUNNING))


class ExportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("导出中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导出人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    list_label = models.CharField(_("列表"), max_length=64, help_text=_("导出的列表（模型），如 tracker.enterprise。"))
    kind = models.CharField(_("导出内容"), max_length=32, help_text=_("该列表的哪一种导出，如 xlsx、gaps。"))
    title = models.CharField(_("名称"), max_length=64)
    query = models.TextField(_("筛选条件"), blank=True, help_text=_("导出时列表的查询参数：筛选、搜索和排序。"))
    region = models.ForeignKey(
        "tracker.Region",
        verbose_name=_("所属地区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("导出人提交时的所属地区。写文件时按导出人当时的管辖范围重新筛选。"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已导出行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(_("下载文件名"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("文件大小（字节）"), default=0)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("保留至"), null=True, blank=True)
    error_message = models.TextField(_("错误信息"), blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("Excel 导出")
        verbose_name_plural = _("Excel 导出")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="exportjob_mine"),
            # The hourly clean-up looks for finished files past their date and for jobs left running.
            models.Index(fields=["status", "expires_at"], name="exportjob_status_expiry"),
        ]
        permissions = [("download_any_exportjob", _("可以查看和下载他人的导出文件"))]

    def __str__(self) -> str:
        return f"{self.title} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)
