"""Nightly designation upkeep: expire lapsed titles and flag re-reviews that are coming due."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from tracker.models import Designation
from tracker.models.designations import HOLDING_STATUSES, DesignationStatus


@transaction.atomic
def designations_upkeep(*, today: dt.date | None = None) -> dict[str, int]:
    """Mark holding designations past valid_until as expired and those expiring within the review
    window (TIDU_REVIEW_DUE_DAYS, default 90) as review_due. History rows are written for each."""
    today = today or timezone.localdate()
    due_by = today + dt.timedelta(days=settings.TIDU["REVIEW_DUE_DAYS"])
    expired = list(Designation.objects.select_for_update().filter(status__in=HOLDING_STATUSES, valid_until__lt=today))
    for designation in expired:
        designation.status = DesignationStatus.EXPIRED
    due = list(
        Designation.objects.select_for_update().filter(
            status__in=[DesignationStatus.ACTIVE, DesignationStatus.RENEWED],
            valid_until__gte=today,
            valid_until__lte=due_by,
        )
    )
    for designation in due:
        designation.status = DesignationStatus.REVIEW_DUE
    changed = expired + due
    now = timezone.now()
    for designation in changed:
        designation.updated_at = now  # bulk updates skip auto_now; incremental runs look at it
        designation.version += 1  # locked above (models/versioning.py)
    if changed:
        bulk_update_with_history(
            changed, Designation, ["status", "version", "updated_at"], default_change_reason="nightly upkeep"
        )
    return {"expired": len(expired), "review_due": len(due)}
