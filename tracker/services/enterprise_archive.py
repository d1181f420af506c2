"""Taking an enterprise out of the register: archived while official records hang on it, deleted only
by a province administrator who may delete every one of them.

A designation, a year of metrics or an evaluation result is an official record. ``delete_enterprise``
alone must not remove them by cascade, so a delete of an enterprise that has any archives it instead
(``archived_at``): lists leave it out by default (``EnterpriseQuerySet.active``), runs skip it
(``Slice.registered``), its results are withdrawn with a "lost" TierChange for each eligible one, and
``enterprise_restore`` brings it back (the next run evaluates it again). A hard delete
(``enterprise_hard_delete``) needs ``tracker.hard_delete_enterprise`` and the delete permission of every
kind of record it removes, runs in one transaction and leaves a history row per record removed, with
the user and what went (docs/accounts.md).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import AnnualMetrics, Designation, EligibilityResult, Enterprise, InputDigest, TierChange
from tracker.pipeline.results_store import results_withdraw
from tracker.services.common import enterprise_write_check, locked, save_changes
from tracker.services.facts_changed import facts_changed

HARD_DELETE_PERMISSION = "tracker.hard_delete_enterprise"

# The official records an enterprise carries: (model, the permission that deletes it).
RECORDS = (
    (Designation, "tracker.delete_designation"),
    (AnnualMetrics, "tracker.delete_annualmetrics"),
    (EligibilityResult, "tracker.delete_eligibilityresult"),
    (TierChange, "tracker.delete_tierchange"),
)


def enterprise_records(enterprise: Enterprise) -> dict[type, int]:
    """How many official records of each kind the enterprise has (kinds with none left out)."""
    counts = {model: model.objects.filter(enterprise_id=enterprise.pk).count() for model, _perm in RECORDS}
    return {model: n for model, n in counts.items() if n}


def describe_records(counts: dict[type, int]) -> str:
    """认定记录 2 条、年度指标 3 条 — for messages and the audit row."""
    return "、".join(
        _("%(kind)s %(n)s 条") % {"kind": model._meta.verbose_name, "n": n} for model, n in counts.items()
    )


@transaction.atomic
def enterprise_delete(*, enterprise: Enterprise, user=None, expected_version: int | None = None) -> bool:
    """What "delete" means for an enterprise: one without official records is deleted (with its cluster
    memberships); one with any is archived instead. Returns True when it was archived."""
    enterprise = locked(enterprise, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=enterprise, field="region")
    if enterprise_records(enterprise):
        enterprise_archive(enterprise=enterprise, user=user, reason=_("删除请求：已有认定、指标或评价结果，改为归档"))
        return True
    if getattr(user, "is_authenticated", False):
        enterprise._history_user = user
    enterprise.delete()
    return False


@transaction.atomic
def enterprise_archive(
    *, enterprise: Enterprise, user=None, reason: str = "", expected_version: int | None = None
) -> Enterprise:
    """Archive an enterprise (idempotent): out of lists and runs, its results withdrawn, nothing deleted."""
    enterprise = locked(enterprise, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=enterprise, field="region")
    if enterprise.archived_at is not None:
        return enterprise
    enterprise.archived_at = timezone.now()
    save_changes(enterprise, ["archived_at"], user=user, reason=reason or _("归档"))
    results_withdraw(enterprise_ids=[enterprise.pk])
    return enterprise


@transaction.atomic
def enterprise_restore(*, enterprise: Enterprise, user=None, expected_version: int | None = None) -> Enterprise:
    """Put an archived enterprise back in the register (idempotent); the next run evaluates it again."""
    enterprise = locked(enterprise, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=enterprise, field="region")
    if enterprise.archived_at is None:
        return enterprise
    enterprise.archived_at = None
    save_changes(enterprise, ["archived_at"], user=user, reason=_("恢复"))
    facts_changed(enterprise_ids=[enterprise.pk])
    return enterprise


def hard_delete_missing_permissions(*, user, counts: dict[type, int]) -> list[str]:
    """The permissions ``user`` lacks to delete the enterprise and these records (None: the system)."""
    if user is None:
        return []
    needed = [HARD_DELETE_PERMISSION, "tracker.delete_enterprise"]
    needed += [perm for model, perm in RECORDS if model in counts]
    return [perm for perm in needed if not user.has_perm(perm)]


@transaction.atomic
def enterprise_hard_delete(
    *, enterprise: Enterprise, user=None, reason: str = "", expected_version: int | None = None
) -> dict[type, int]:
    """Delete an enterprise and every record of it, for good; returns what was removed.

    Refused (PermissionDenied) unless the user holds ``tracker.hard_delete_enterprise`` and may delete
    each kind of record removed. Every designation, metrics year and the enterprise leave a "-" history
    row with the user and the reason: the audit trail of what went.
    """
    enterprise = locked(enterprise, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=enterprise, field="region")
    counts = enterprise_records(enterprise)
    missing = hard_delete_missing_permissions(user=user, counts=counts)
    if missing:
        raise PermissionDenied(
            _("彻底删除企业需要以下权限：%(perms)s。可改为删除（归档）。") % {"perms": "、".join(missing)}
        )
    audit = (_("彻底删除") + (f"：{describe_records(counts)}" if counts else "") + (f"（{reason}）" if reason else ""))[
        :100
    ]  # simple-history's change reason column holds 100 characters
    history_user = user if getattr(user, "is_authenticated", False) else None
    try:
        for model in (Designation, AnnualMetrics):
            for record in model.objects.filter(enterprise_id=enterprise.pk):
                record._history_user, record._change_reason = history_user, audit
                record.delete()
    except ProtectedError as error:
        raise ValidationError(_("该企业的认定记录已列入认定批次的复核或异议，不能彻底删除；可改为归档。")) from error
    TierChange.objects.filter(enterprise_id=enterprise.pk).delete()
    EligibilityResult.objects.filter(enterprise_id=enterprise.pk).delete()
    InputDigest.objects.filter(enterprise_id=enterprise.pk).delete()
    enterprise._history_user, enterprise._change_reason = history_user, audit
    enterprise.delete()
    return counts
