from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class DesignationStatus(models.TextChoices):
    CANDIDATE = "candidate", _("候选")
    PUBLICIZED = "publicized", _("公示中")
    ACTIVE = "active", _("有效")
    REVIEW_DUE = "review_due", _("待复核")
    RENEWED = "renewed", _("复核通过")
    EXPIRED = "expired", _("已到期")
    REVOKED = "revoked", _("已撤销")


# The lifecycle (shared/DESIGN.md §3). A renewed designation can come due again at its next review.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    DesignationStatus.CANDIDATE: frozenset({DesignationStatus.PUBLICIZED, DesignationStatus.REVOKED}),
    DesignationStatus.PUBLICIZED: frozenset({DesignationStatus.ACTIVE, DesignationStatus.REVOKED}),
    DesignationStatus.ACTIVE: frozenset(
        {DesignationStatus.REVIEW_DUE, DesignationStatus.EXPIRED, DesignationStatus.REVOKED}
    ),
    DesignationStatus.REVIEW_DUE: frozenset(
        {DesignationStatus.RENEWED, DesignationStatus.EXPIRED, DesignationStatus.REVOKED}
    ),
    DesignationStatus.RENEWED: frozenset(
        {DesignationStatus.REVIEW_DUE, DesignationStatus.EXPIRED, DesignationStatus.REVOKED}
    ),
    DesignationStatus.EXPIRED: frozenset(),
    DesignationStatus.REVOKED: frozenset(),
}

# Statuses in which the enterprise holds the title.
HOLDING_STATUSES = (DesignationStatus.ACTIVE, DesignationStatus.REVIEW_DUE, DesignationStatus.RENEWED)


class Designation(models.Model):
    """An official recognition of an enterprise in a tier (batch, 文号, validity)."""

    enterprise = models.ForeignKey(
        "tracker.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="designations"
    )
    tier = models.ForeignKey("tracker.Tier", verbose_name=_("梯度层级"), on_delete=models.PROTECT)
    cluster = models.ForeignKey(
        "tracker.Cluster",
        verbose_name=_("产业集群"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("仅链主企业填写。"),
    )
    batch = models.CharField(_("批次"), max_length=64, blank=True)
    document_no = models.CharField(_("文号"), max_length=128, blank=True)
    recognized_on = models.DateField(_("认定日期"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=DesignationStatus.choices, default=DesignationStatus.CANDIDATE
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("认定记录")
        verbose_name_plural = _("认定记录")
        ordering = ["-recognized_on", "id"]
        indexes = [models.Index(fields=["tier", "status"]), models.Index(fields=["valid_until"])]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.tier}"

    def clean(self) -> None:
        errors = {}
        if self.recognized_on and self.valid_until and self.valid_until <= self.recognized_on:
            errors["valid_until"] = _("有效期截止日期必须晚于认定日期。")
        if self.tier_id:
            per_cluster = self.tier.per_cluster
            if per_cluster and not self.cluster_id:
                errors["cluster"] = _("%(tier)s按集群认定，必须指定产业集群。") % {"tier": self.tier}
            if not per_cluster and self.cluster_id:
                errors["cluster"] = _("%(tier)s不按集群认定，不应指定产业集群。") % {"tier": self.tier}
        if self.status in HOLDING_STATUSES and not self.recognized_on:
            errors["recognized_on"] = _("有效的认定必须填写认定日期。")
        if errors:
            raise ValidationError(errors)
