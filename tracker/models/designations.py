import datetime as dt
from collections.abc import Iterable

import numpy as np
from django.db import models
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.models.row_rules import RowRule, check_instance, plausible_date_rule, present
from tracker.models.scoping import RegionScopedQuerySet
from tracker.models.versioning import version_field
from tracker.text import validate_no_control_characters


class DesignationStatus(models.TextChoices):
    CANDIDATE = "candidate", _("候选")
    PUBLICIZED = "publicized", _("公示中")
    ACTIVE = "active", _("有效")
    REVIEW_DUE = "review_due", _("待复核")
    RENEWED = "renewed", _("复核通过")
    EXPIRED = "expired", _("已到期")
    REVOKED = "revoked", _("已撤销")


# The lifecycle (docs/architecture.md, "Domain model"). A renewed designation can come due again at its next review.
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


# "Held on a date", written once. The QuerySet and the in-memory check below read the same rule; the
# pipeline, the live evaluation, the filters of the API and the admin all go through one of them.
def held_on_q(as_of: dt.date, prefix: str = "") -> Q:
    """A holding status, recognised on or before ``as_of``, and valid until ``as_of`` or open-ended."""
    return Q(**{f"{prefix}status__in": HOLDING_STATUSES, f"{prefix}recognized_on__lte": as_of}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": as_of})
    )


def is_held(*, status: str, recognized_on: dt.date | None, valid_until: dt.date | None, as_of: dt.date) -> bool:
    """``held_on_q`` for a designation that is not stored (the what-if simulation's input)."""
    return (
        status in HOLDING_STATUSES
        and recognized_on is not None
        and recognized_on <= as_of
        and (valid_until is None or as_of <= valid_until)
    )


def latest_grants(designations: Iterable[tuple], *, as_of: dt.date) -> dict:
    """``held_titles`` for designations that are not stored (the what-if simulation's input): from
    (key, status, recognized_on, valid_until) tuples, each key held on ``as_of`` → its latest grant date."""
    out: dict = {}
    for key, status, recognized_on, valid_until in designations:
        if is_held(status=status, recognized_on=recognized_on, valid_until=valid_until, as_of=as_of):
            out[key] = max(out.get(key, recognized_on), recognized_on)
    return out


# A designation on its way to the title: not held yet, but the enterprise is already in the process.
PENDING_STATUSES = (DesignationStatus.CANDIDATE, DesignationStatus.PUBLICIZED)


class DesignationQuerySet(RegionScopedQuerySet):
    region_lookup = "enterprise__region"

    def held_on(self, as_of: dt.date):
        """Designations whose title the enterprise holds on ``as_of``."""
        return self.filter(held_on_q(as_of))

    def held_titles(self, as_of: dt.date):
        """The titles held on ``as_of``: one row per enterprise, tier and cluster with ``granted_on``, the
        latest grant date among the designations that hold it (a re-review follows the rules of the
        title under review). Rows of ``enterprise_id``, ``tier_id``, ``cluster_id``, ``granted_on``."""
        return (
            self.held_on(as_of)
            .order_by()
            .values("enterprise_id", "tier_id", "cluster_id")
            .annotate(granted_on=Max("recognized_on"))
        )

    def held_or_pending(self, as_of: dt.date):
        """Designations that hold the title on ``as_of`` or are on their way to it (a candidate, or on
        public notice): an enterprise with one is not offered as a new candidate for the tier."""
        return self.filter(held_on_q(as_of) | Q(status__in=PENDING_STATUSES))


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
    # The free text stays for historical lists imported without a batch object; a designation made in a
    # batch links to it and carries its name here too, so every list reads the same column.
    batch = models.CharField(_("批次"), max_length=64, blank=True, validators=[validate_no_control_characters])
    designation_batch = models.ForeignKey(
        "tracker.DesignationBatch",
        verbose_name=_("认定批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="designations",
    )
    document_no = models.CharField(_("文号"), max_length=128, blank=True, validators=[validate_no_control_characters])
    recognized_on = models.DateField(_("认定日期"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=DesignationStatus.choices, default=DesignationStatus.CANDIDATE
    )
    note = models.TextField(_("备注"), blank=True, validators=[validate_no_control_characters])
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = version_field()
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = DesignationQuerySet.as_manager()

    class Meta:
        verbose_name = _("认定记录")
        verbose_name_plural = _("认定记录")
        ordering = ["-recognized_on", "id"]
        indexes = [
            # A tier's designations in a status, newest first (the API's and the admin's order): read in
            # index order and stopped at the page, not sorted (36,000 active 专精特新 at 1M: 70 ms).
            models.Index(fields=["tier", "status", "-recognized_on", "id"], name="designation_tier_status_recent"),
            models.Index(fields=["valid_until"]),
            # A 文号 typed in the admin's search box (tracker/admin/designations.py).
            models.Index(fields=["document_no"], name="designation_document_no"),
        ]
        permissions = [("publish_designation", _("可公示、认定、复核和撤销认定（候选之外的状态）"))]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.tier}"

    @property
    def tier_per_cluster(self) -> bool | None:
        """Whether the tier is designated per cluster (chain leaders); None before a tier is chosen."""
        return self.tier.per_cluster if self.tier_id else None

    def clean(self) -> None:
        check_instance(DESIGNATION_RULES, self)


# Cross-field rules (row_rules.py): checked by clean() on one row and by the importer on whole files.
DESIGNATION_RULES = (
    RowRule(
        "valid_until",
        _("有效期截止日期必须晚于认定日期。"),
        reads=("valid_until", "recognized_on"),
        needs=("valid_until", "recognized_on"),
        violated=lambda c: c["valid_until"] <= c["recognized_on"],
    ),
    RowRule(
        "cluster",
        _("所选层级按集群认定，必须指定产业集群。"),
        reads=("tier_per_cluster", "cluster_id"),
        needs=("tier_per_cluster",),
        violated=lambda c: (c["tier_per_cluster"] == True) & ~present(c["cluster_id"]),  # noqa: E712
    ),
    RowRule(
        "cluster",
        _("所选层级不按集群认定，不应指定产业集群。"),
        reads=("tier_per_cluster", "cluster_id"),
        needs=("tier_per_cluster", "cluster_id"),
        violated=lambda c: c["tier_per_cluster"] == False,  # noqa: E712
    ),
    RowRule(
        "recognized_on",
        _("有效的认定必须填写认定日期。"),
        reads=("status", "recognized_on"),
        needs=("status",),
        violated=lambda c: np.isin(c["status"], [str(s) for s in HOLDING_STATUSES]) & ~present(c["recognized_on"]),
    ),
    plausible_date_rule("recognized_on", _("认定日期")),
    plausible_date_rule("valid_until", _("有效期截止日期")),
)
