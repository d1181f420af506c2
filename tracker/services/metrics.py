"""Write services for annual metrics: only for enterprises of the writer's region.

A row is one enterprise's figures for one fiscal year: which enterprise and which year are what the
row is, not facts in it (the importer finds rows by them, the history of a year's revenue follows the
row). Neither changes after the row is recorded; a row entered for the wrong enterprise or year is
deleted and entered again, as a designation recorded for the wrong enterprise is.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import AnnualMetrics
from tracker.models.metrics import ATTESTATION_FIELDS
from tracker.services.common import (
    apply_changes,
    enterprise_archived_check,
    enterprise_write_check,
    locked,
    refreshed,
    save_changes,
    save_validated,
)
from tracker.services.facts_changed import facts_changed

# The fields that say which row this is: each refused with its own message when an update changes it.
FIXED = {
    "enterprise": _("年度指标所属的企业不能更改；如登记错了企业，请删除本条，再为正确的企业另行登记。"),
    "fiscal_year": _("年度指标的年度不能更改；如登记错了年度，请删除本条，再登记正确年度的指标。"),
}


def metrics_identity_check(metrics: AnnualMetrics, fields: dict) -> None:
    """Refuse an update that would move a row to another enterprise or year (a ValidationError naming
    the field); the same value sent back, as a PUT does, is no change."""
    for name, message in FIXED.items():
        if name in fields:
            value = fields[name]
            current = getattr(metrics, metrics._meta.get_field(name).attname)
            if getattr(value, "pk", value) != current:
                raise ValidationError({name: message})


def _attest(metrics: AnnualMetrics, user) -> None:
    """The 特色化 points are an attested fact: whoever sets them attests them, now; cleared, nobody does."""
    known = metrics.distinctiveness_points is not None
    metrics.distinctiveness_attested_by = user if known and getattr(user, "is_authenticated", False) else None
    metrics.distinctiveness_attested_at = timezone.now() if known else None


@transaction.atomic
def metrics_create(*, user=None, **fields) -> AnnualMetrics:
    """Create one enterprise's metrics for one fiscal year (one row per enterprise and year), of an
    enterprise in the register (not archived)."""
    enterprise_write_check(user=user, enterprise=fields.get("enterprise"))
    enterprise_archived_check(enterprise=fields.get("enterprise"))
    metrics = AnnualMetrics(**fields)
    _attest(metrics, user)
    save_validated(metrics, user=user)
    facts_changed(enterprise_ids=[metrics.enterprise_id])
    return metrics


@transaction.atomic
def metrics_update(
    *, metrics: AnnualMetrics, user=None, expected_version: int | None = None, **fields
) -> AnnualMetrics:
    """Update one year's metrics (only the named fields, on the row as stored now) and return them;
    changing the 特色化 points records the user as their attester. The enterprise and the year never
    change (``metrics_identity_check``). A stale ``expected_version`` is refused (StaleVersion)."""
    caller, metrics = metrics, locked(metrics, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=metrics.enterprise)
    metrics_identity_check(metrics, fields)
    fields = {name: value for name, value in fields.items() if name not in FIXED}
    changed = apply_changes(metrics, fields)
    if changed:
        if "distinctiveness_points" in changed:
            _attest(metrics, user)
            changed += list(ATTESTATION_FIELDS)
        save_changes(metrics, changed, user=user)
        facts_changed(enterprise_ids=[metrics.enterprise_id])
    return refreshed(caller, metrics)


@transaction.atomic
def metrics_delete(*, metrics: AnnualMetrics, user=None, expected_version: int | None = None) -> None:
    metrics = locked(metrics, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=metrics.enterprise)
    enterprise_id = metrics.enterprise_id
    if user is not None:
        metrics._history_user = user
    metrics.delete()
    facts_changed(enterprise_ids=[enterprise_id])
