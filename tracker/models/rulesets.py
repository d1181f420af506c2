from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.models.versioning import version_field
from tracker.text import validate_no_control_characters


class Ruleset(models.Model):
    """A tier's criteria as data, versioned by effective date (docs/rules-format.md)."""

    class Mode(models.TextChoices):
        NEW = "new", _("新申请")
        REVIEW = "review", _("复核")
        ANY = "any", _("通用")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ACTIVE = "active", _("生效")
        RETIRED = "retired", _("废止")

    tier = models.ForeignKey(
        "tracker.Tier", verbose_name=_("梯度层级"), on_delete=models.PROTECT, related_name="rulesets"
    )
    version = models.CharField(_("版本"), max_length=64, validators=[validate_no_control_characters])
    effective_from = models.DateField(_("施行日期"))
    effective_to = models.DateField(_("截止日期"), null=True, blank=True, help_text=_("留空表示持续有效。"))
    mode = models.CharField(_("适用情形"), max_length=8, choices=Mode.choices, default=Mode.ANY)
    granted_from = models.DateField(
        _("适用认定日期起"),
        null=True,
        blank=True,
        help_text=_("仅复核标准：只复核认定日期不早于此日的称号（按认定时的标准复核）；留空表示不限。"),
    )
    granted_to = models.DateField(
        _("适用认定日期止"),
        null=True,
        blank=True,
        help_text=_("仅复核标准：只复核认定日期不晚于此日的称号；留空表示不限。"),
    )
    jurisdiction = models.ForeignKey(
        "tracker.Region",
        verbose_name=_("适用地区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("留空表示全国适用。"),
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    reference = models.TextField(
        _("政策依据"), help_text=_("文号与条款。"), validators=[validate_no_control_characters]
    )
    definition = models.JSONField(_("认定条件"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The optimistic-concurrency version (tracker/models/versioning.py); ``version`` is the criteria's
    # own name (MIIT-2022-63), so this one is the revision of the record.
    revision = version_field(_("修订号"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("认定标准")
        verbose_name_plural = _("认定标准")
        ordering = ["tier", "-effective_from", "version"]
        constraints = [models.UniqueConstraint(fields=["tier", "version"], name="ruleset_unique_version_per_tier")]
        permissions = [("publish_ruleset", _("可使认定标准生效或废止"))]

    def __str__(self) -> str:
        return f"{self.tier} {self.version}"

    def clean(self) -> None:
        errors = {}
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = _("截止日期不能早于施行日期。")
        if (self.granted_from or self.granted_to) and self.mode != self.Mode.REVIEW:
            errors["mode"] = _("只有复核标准才能限定适用的认定日期。")
        if self.granted_from and self.granted_to and self.granted_to < self.granted_from:
            errors["granted_to"] = _("适用认定日期止不能早于适用认定日期起。")
        if errors:
            raise ValidationError(errors)


class RulesetPreview(models.Model):
    """What one revision of a draft would change against the ruleset in force: computed in the background
    (tracker/services/ruleset_preview_jobs.py), because over every stored enterprise it takes longer than
    a page may. The draft's pages show the latest one; one of an older revision is shown as outdated."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    OPEN = (Status.QUEUED, Status.RUNNING)

    ruleset = models.ForeignKey(Ruleset, verbose_name=_("认定标准"), on_delete=models.CASCADE, related_name="previews")
    revision = models.PositiveIntegerField(_("修订号"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    # Written with every slice: a running preview silent for longer than a task may live has died.
    heartbeat_at = models.DateTimeField(_("最近进展"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done = models.PositiveIntegerField(_("已评价企业"), default=0)
    total = models.PositiveIntegerField(_("企业总数"), default=0)
    # ``ruleset_preview``'s answer as JSON: the counts, the versions compared, the dates, the examples.
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误信息"), blank=True)

    class Meta:
        verbose_name = _("认定标准预览")
        verbose_name_plural = _("认定标准预览")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["ruleset", "-requested_at"], name="rulesetpreview_latest")]
        constraints = [
            # The same draft and revision is never computed twice at once (the request also checks, on
            # the locked ruleset row; this is the backstop).
            models.UniqueConstraint(
                fields=["ruleset", "revision"],
                condition=models.Q(status__in=["queued", "running"]),
                name="rulesetpreview_one_open_per_revision",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ruleset} #{self.revision} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN
