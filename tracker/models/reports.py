"""Tier reports: the night's report per scope (the province, each city, a county on demand), stored as
the frame every rendering reads (tracker/reports/sections.py), and who receives it by email."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.models.scoping import RegionScopedQuerySet


class TierReportQuerySet(RegionScopedQuerySet):
    """A report belongs to the region of its scope: a city user sees their city's and counties'
    reports, the province all. The province's own report has the province region."""

    region_lookup = "region"

    def latest_first(self):
        return self.order_by("-report_date", "region__code")


class TierReport(models.Model):
    report_date = models.DateField(_("报告日期"))
    region = models.ForeignKey(
        "tracker.Region", verbose_name=_("范围"), on_delete=models.PROTECT, related_name="tier_reports"
    )
    run = models.ForeignKey(
        "tracker.EvaluationRun", verbose_name=_("评价运行"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    data_date = models.DateField(_("数据日期"), help_text=_("报告所依据的评价运行的基准日。"))
    stale = models.BooleanField(
        _("沿用上次结果"), default=False, help_text=_("当晚评价失败或未按时完成，报告显示上一次评价的结果。")
    )
    stale_reason = models.CharField(_("沿用原因"), max_length=300, blank=True)
    nightly = models.BooleanField(_("夜间例行"), default=False)
    content = models.JSONField(_("报告内容"), default=dict)
    head = models.JSONField(
        _("页面摘录"), default=dict, blank=True,
        help_text=_("报告页面与首页图表读取的部分：各长列表只保留前若干行，完整内容见“报告内容”。"),
    )
    summary = models.JSONField(
        _("摘要"), default=dict, blank=True, help_text=_("各层级的合计数（趋势图与通知邮件读取，不必读取全文）。")
    )
    built_at = models.DateTimeField(_("生成时间"))
    build_seconds = models.FloatField(_("生成耗时（秒）"), default=0.0)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = TierReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("梯度报告")
        verbose_name_plural = _("梯度报告")
        ordering = ["-report_date", "region__code"]
        constraints = [
            # Rebuilding a date and scope replaces its report (services/reports.py), never duplicates it.
            models.UniqueConstraint(fields=["report_date", "region"], name="tierreport_one_per_date_and_scope")
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.report_date}"


class ReportSubscriptionQuerySet(RegionScopedQuerySet):
    """A subscription belongs to the region of the report it asks for: a province administrator sees and
    manages everyone's, anyone else manages their own (services/reports.py)."""

    region_lookup = "region"

    def active(self):
        return self.filter(enabled=True, user__is_active=True).exclude(user__email="")


class ReportSubscription(models.Model):
    """A user who receives a scope's nightly report by email: the province's, a city's or a county's,
    within what their office may see (the nightly build makes a county's report when someone asks)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    region = models.ForeignKey(
        "tracker.Region", verbose_name=_("报告范围"), on_delete=models.PROTECT, related_name="+",
        help_text=_("接收哪个范围的夜间报告：全省、某设区市或某县（市、区）；须在用户所属地区之内。"),
    )
    enabled = models.BooleanField(_("接收报告邮件"), default=True)
    created_at = models.DateTimeField(_("订阅时间"), auto_now_add=True)

    objects = ReportSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("报告订阅")
        verbose_name_plural = _("报告订阅")
        ordering = ["region__code", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="report_subscription_one_per_scope")]

    def __str__(self) -> str:
        return f"{self.user} · {self.region.name}"
