"""Write services for annual metrics: only for enterprises of the writer's region."""

from django.db import transaction

from tracker.models import AnnualMetrics
from tracker.services.common import apply_changes, enterprise_write_check, save_validated
from tracker.services.facts_changed import facts_changed


@transaction.atomic
def metrics_create(*, user=None, **fields) -> AnnualMetrics:
    """Create one enterprise's metrics for one fiscal year (one row per enterprise and year)."""
    enterprise_write_check(user=user, enterprise=fields.get("enterprise"))
    metrics = save_validated(AnnualMetrics(**fields), user=user)
    facts_changed(enterprise_ids=[metrics.enterprise_id])
    return metrics


@transaction.atomic
def metrics_update(*, metrics: AnnualMetrics, user=None, **fields) -> AnnualMetrics:
    """Edit one year's metrics; moving them to another enterprise needs that one in the region too."""
    old_enterprise_id = metrics.enterprise_id
    enterprise_write_check(user=user, enterprise=metrics.enterprise)
    if "enterprise" in fields:
        enterprise_write_check(user=user, enterprise=fields["enterprise"])
    if apply_changes(metrics, fields):
        save_validated(metrics, user=user)
        facts_changed(enterprise_ids=[old_enterprise_id, metrics.enterprise_id])
    return metrics


@transaction.atomic
def metrics_delete(*, metrics: AnnualMetrics, user=None) -> None:
    enterprise_write_check(user=user, enterprise=metrics.enterprise)
    enterprise_id = metrics.enterprise_id
    if user is not None:
        metrics._history_user = user
    metrics.delete()
    facts_changed(enterprise_ids=[enterprise_id])
