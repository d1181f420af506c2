from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.models.scoping import ProgrammeQuerySet, RegionScopedQuerySet
from tracker.models.versioning import version_field
from tracker.text import validate_no_control_characters


class DesignationBatchQuerySet(ProgrammeQuerySet):
    def with_counts(self, user):
        """Each batch with ``candidate_count`` and ``review_count``: the candidates and reviews ``user``
        may see (a city user counts their own region's), one subquery each, no query per batch."""
        from tracker.models.designations import Designation

        def count(queryset, link: str):
            rows = queryset.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(n=Count("pk"))
            return Coalesce(Subquery(rows.values("n")), 0)

        return self.annotate(
            candidate_count=count(Designation.objects.visible_to(user), "designation_batch"),
            review_count=count(BatchReview.objects.visible_to(user), "batch"),
        )


class BatchEntryQuerySet(RegionScopedQuerySet):
    """A batch's reviews and objections belong to the region of the designation they are about."""

    region_lookup = "designation__enterprise__region"


class DesignationBatch(models.Model):
    """A designation batch (认定批次): candidates → 公示 → published designations, or a 复核 of those due.

    A new-designation batch holds its candidates as designations (status 候选 → 公示中 → 有效) linked
    here; a 复核 batch holds review entries, one per designation due. Every step is a service in
    tracker/services/batches.py and leaves a history row.
    """

    class Kind(models.TextChoices):
        NEW = "new", _("新认定")
        REVIEW = "review", _("复核")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草拟")
        PUBLICIZING = "publicizing", _("公示中")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.NEW)
    tier = models.ForeignKey("tracker.Tier", verbose_name=_("梯度层级"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(
        _("批次名称"), max_length=64, help_text=_("如“2026年第一批”。"), validators=[validate_no_control_characters]
    )
    document_no = models.CharField(_("文号"), max_length=128, blank=True, validators=[validate_no_control_characters])
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示截止"), null=True, blank=True)
    objection_contact = models.TextField(
        _("异议受理"),
        blank=True,
        help_text=_("受理异议的处室、地址和电话；异议须以书面形式、署真实姓名提出。"),
        validators=[validate_no_control_characters],
    )
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = version_field()
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = DesignationBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("认定批次")
        verbose_name_plural = _("认定批次")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return f"{self.tier} · {self.name}"


class BatchReview(models.Model):
    """One designation due for 复核 in a review batch, and its outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待定")
        PASSED = "passed", _("通过（续期）")
        FAILED = "failed", _("未通过（撤销）")

    batch = models.ForeignKey(
        DesignationBatch, verbose_name=_("认定批次"), on_delete=models.CASCADE, related_name="reviews"
    )
    designation = models.ForeignKey(
        "tracker.Designation", verbose_name=_("认定记录"), on_delete=models.PROTECT, related_name="reviews"
    )
    outcome = models.CharField(_("复核结果"), max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.TextField(_("说明"), blank=True, validators=[validate_no_control_characters])
    history = HistoricalRecords()

    objects = BatchEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("复核记录")
        verbose_name_plural = _("复核记录")
        constraints = [models.UniqueConstraint(fields=["batch", "designation"], name="review_once_per_batch")]

    def __str__(self) -> str:
        return f"{self.designation} · {self.get_outcome_display()}"


class Objection(models.Model):
    """An objection received during a batch's 公示, about one candidate (or one 复核 result)."""

    class Resolution(models.TextChoices):
        PENDING = "pending", _("待处理")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    batch = models.ForeignKey(
        DesignationBatch, verbose_name=_("认定批次"), on_delete=models.CASCADE, related_name="objections"
    )
    designation = models.ForeignKey(
        "tracker.Designation", verbose_name=_("认定记录"), on_delete=models.PROTECT, related_name="objections"
    )
    received_on = models.DateField(_("收到日期"))
    objector = models.CharField(
        _("异议人"), max_length=128, help_text=_("书面异议须署真实姓名。"), validators=[validate_no_control_characters]
    )
    content = models.TextField(_("异议内容"), validators=[validate_no_control_characters])
    resolution = models.CharField(_("处理结果"), max_length=16, choices=Resolution.choices, default=Resolution.PENDING)
    resolution_note = models.TextField(_("处理说明"), blank=True, validators=[validate_no_control_characters])
    history = HistoricalRecords()

    objects = BatchEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["received_on", "id"]

    def __str__(self) -> str:
        return f"{self.designation} · {self.objector}"
