"""Write services for annual metrics: only for enterprises of the writer's region."""

from django.db import transaction
from django.utils import timezone

from tracker.models import AnnualMetrics
from tracker.models.metrics import ATTESTATION_FIELDS
from tracker.services.common import (
    apply_changes,
    enterprise_write_check,
    locked,
    refreshed,
    save_changes,
    save_validated,
)
from tracker.services.facts_changed import facts_changed


def _attest(metrics: AnnualMetrics, user) -> None:
    """The 特色化 points are an attested fact: whoever sets them attests them, now; cleared, nobody does."""
    known = metrics.distinctiveness_points is not None
    metrics.distinctiveness_attested_by = user if known and getattr(user, "is_authenticated", False) else None
    metrics.distinctiveness_attested_at = timezone.now() if known else None


@transaction.atomic
def metrics_create(*, user=None, **fields) -> AnnualMetrics:
    """Create one enterprise's metrics for one fiscal year (one row per enterprise and year)."""
    enterprise_write_check(user=user, enterprise=fields.get("enterprise"))
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
    changing the 特色化 points records the user as their attester. Moving them to another enterprise
    needs that one in the writer's region too. A stale ``expected_version`` is refused (StaleVersion)."""
    caller, metrics = metrics, locked(metrics, expected_version=expected_version)
    old_enterprise_id = metrics.enterprise_id
    enterprise_write_check(user=user, enterprise=metrics.enterprise)
    if "enterprise" in fields:
        enterprise_write_check(user=user, enterprise=fields["enterprise"])
    changed = apply_changes(metrics, fields)
    if changed:
        if "distinctiveness_points" in changed:
            _attest(metrics, user)
            changed += list(ATTESTATION_FIELDS)
        save_changes(metrics, changed, user=user)
        facts_changed(enterprise_ids=[old_enterprise_id, metrics.enterprise_id])
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
