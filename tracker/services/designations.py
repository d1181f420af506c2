"""Write services for designations: create, edit, and move along the lifecycle."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.models import Designation
from tracker.models.designations import ALLOWED_TRANSITIONS
from tracker.services.common import apply_changes, save_validated
from tracker.services.facts_changed import facts_changed


def designation_transition_check(old: str, new: str) -> None:
    if old != new and new not in ALLOWED_TRANSITIONS[old]:
        labels = dict(Designation._meta.get_field("status").choices)
        allowed = "、".join(str(labels[s]) for s in sorted(ALLOWED_TRANSITIONS[old])) or _("无")
        raise ValidationError(
            {
                "status": _("认定状态不能从“%(old)s”变为“%(new)s”；可变为：%(allowed)s。")
                % {"old": labels[old], "new": labels[new], "allowed": allowed}
            }
        )


@transaction.atomic
def designation_create(*, user=None, **fields) -> Designation:
    designation = save_validated(Designation(**fields), user=user)
    facts_changed(enterprise_ids=[designation.enterprise_id])
    return designation


@transaction.atomic
def designation_update(*, designation: Designation, user=None, reason: str = "", **fields) -> Designation:
    """Edit a designation; a status change must follow the lifecycle (DESIGN.md §3)."""
    # Lock the row so two staff moving the same designation cannot both pass the transition check.
    current = Designation.objects.select_for_update().get(pk=designation.pk)
    if "status" in fields:
        designation_transition_check(current.status, fields["status"])
    if apply_changes(designation, fields):
        save_validated(designation, user=user, reason=reason)
        facts_changed(enterprise_ids=[current.enterprise_id, designation.enterprise_id])
    return designation


@transaction.atomic
def designation_delete(*, designation: Designation, user=None) -> None:
    enterprise_id = designation.enterprise_id
    if user is not None:
        designation._history_user = user
    designation.delete()
    facts_changed(enterprise_ids=[enterprise_id])
