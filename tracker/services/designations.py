"""Write services for designations: create, edit, and move along the lifecycle.

Staff of a city or county (without ``tracker.publish_designation``) prepare candidates for their own
enterprises; publicising, recognising, renewing and revoking is the province's (docs/accounts.md).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.models import Designation
from tracker.models.designations import ALLOWED_TRANSITIONS, DesignationStatus
from tracker.services.common import apply_changes, enterprise_write_check, save_validated
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


PUBLISH_PERMISSION = "tracker.publish_designation"


def designation_publish_check(*, user, statuses: list[str]) -> None:
    """Refuse a write that sets or changes a designation beyond "candidate" without the permission."""
    if user is None or user.has_perm(PUBLISH_PERMISSION):
        return
    if any(status != DesignationStatus.CANDIDATE for status in statuses):
        raise ValidationError(
            {
                "status": _(
                    "您只能登记和修改“候选”状态的认定记录；公示、认定、复核与撤销由省级主管部门办理。"
                )
            }
        )


@transaction.atomic
def designation_create(*, user=None, **fields) -> Designation:
    """Record a designation (a candidate, unless the user may publish) of an enterprise in their region."""
    enterprise_write_check(user=user, enterprise=fields.get("enterprise"))
    designation_publish_check(user=user, statuses=[fields.get("status", DesignationStatus.CANDIDATE)])
    designation = save_validated(Designation(**fields), user=user)
    facts_changed(enterprise_ids=[designation.enterprise_id])
    return designation


@transaction.atomic
def designation_update(*, designation: Designation, user=None, reason: str = "", **fields) -> Designation:
    """Edit a designation; a status change must follow the lifecycle (docs/architecture.md, "Domain model")."""
    # Lock the row so two staff moving the same designation cannot both pass the transition check.
    current = Designation.objects.select_related("enterprise").select_for_update(of=("self",)).get(pk=designation.pk)
    enterprise_write_check(user=user, enterprise=current.enterprise)
    if "enterprise" in fields:
        enterprise_write_check(user=user, enterprise=fields["enterprise"])
    designation_publish_check(user=user, statuses=[current.status, fields.get("status", current.status)])
    if "status" in fields:
        designation_transition_check(current.status, fields["status"])
    if apply_changes(designation, fields):
        save_validated(designation, user=user, reason=reason)
        facts_changed(enterprise_ids=[current.enterprise_id, designation.enterprise_id])
    return designation


@transaction.atomic
def designation_delete(*, designation: Designation, user=None) -> None:
    enterprise_write_check(user=user, enterprise=designation.enterprise)
    designation_publish_check(user=user, statuses=[designation.status])
    enterprise_id = designation.enterprise_id
    if user is not None:
        designation._history_user = user
    designation.delete()
    facts_changed(enterprise_ids=[enterprise_id])
