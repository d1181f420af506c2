"""Write services for designations: create, edit, and move along the lifecycle.

Staff of a city or county (without ``tracker.publish_designation``) prepare candidates for their own
enterprises; publicising, recognising, renewing and revoking is the province's (docs/accounts.md).
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tracker.models import Designation
from tracker.models.designations import ALLOWED_TRANSITIONS, HOLDING_STATUSES, DesignationStatus
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


def may_publish(user) -> bool:
    """Whether ``user`` may take designations beyond "candidate" (None: the system, which may)."""
    return user is None or user.has_perm(PUBLISH_PERMISSION)


def designation_publish_error(*, may_publish: bool, statuses) -> str | None:
    """Why a writer who may not publish cannot set or change designations with these statuses, or None."""
    if may_publish or all(status == DesignationStatus.CANDIDATE for status in statuses):
        return None
    return _("您只能登记和修改“候选”状态的认定记录；公示、认定、复核与撤销由省级主管部门办理。")


def designation_publish_check(*, user, statuses: list[str]) -> None:
    """Refuse a write that sets or changes a designation beyond "candidate" without the permission."""
    message = designation_publish_error(may_publish=may_publish(user), statuses=statuses)
    if message:
        raise ValidationError({"status": message})


def validity_end(tier, start: dt.date) -> dt.date | None:
    """The last day a designation recognised on ``start`` is valid, by the tier's rules: its
    ``validity_years`` (the day before the anniversary), or, for a tier managed as an annual list
    (no validity years), the end of that year."""
    if start is None:
        return None
    if not tier.validity_years:
        return dt.date(start.year, 12, 31)
    try:
        anniversary = start.replace(year=start.year + tier.validity_years)
    except ValueError:  # 29 February
        anniversary = start.replace(year=start.year + tier.validity_years, day=28) + dt.timedelta(days=1)
    return anniversary - dt.timedelta(days=1)


@dataclass(frozen=True)
class Holding:
    """A designation as the no-overlap rule sees it: who, which title, over which dates."""

    key: object  # the caller's name for it (a row number, an instance)
    enterprise_id: int
    tier_id: str
    cluster_id: int | None
    start: dt.date | None
    end: dt.date | None
    pk: int | None = None  # a stored designation being changed is not its own overlap


def holding_overlaps(holdings: list[Holding]) -> dict[object, str]:
    """Which of these would-be holding designations overlap another holding one of the same enterprise,
    tier and cluster — stored, or among themselves. One query for the lot; returns {key: message}.

    An open start or end counts as unbounded. (A database exclusion constraint backs this up where the
    schema has one; the message here is what staff read.)
    """
    if not holdings:
        return {}
    far_past, far_future = dt.date.min, dt.date.max
    stored = Designation.objects.filter(
        enterprise_id__in={h.enterprise_id for h in holdings}, status__in=HOLDING_STATUSES
    ).values_list("pk", "enterprise_id", "tier_id", "cluster_id", "recognized_on", "valid_until", "document_no")
    by_title: dict[tuple, list] = {}
    for pk, enterprise_id, tier_id, cluster_id, start, end, document_no in stored:
        by_title.setdefault((enterprise_id, tier_id, cluster_id), []).append(("stored", pk, start, end, document_no))
    for h in holdings:
        by_title.setdefault((h.enterprise_id, h.tier_id, h.cluster_id), []).append(("new", h, h.start, h.end, ""))
    found = {}
    for entries in by_title.values():
        for kind, item, start, end, _doc in entries:
            if kind != "new":
                continue
            for other_kind, other, other_start, other_end, document_no in entries:
                if other is item or (other_kind == "stored" and other == item.pk):
                    continue
                if other_kind == "new" and other.pk is not None and other.pk == item.pk:
                    continue
                if (start or far_past) <= (other_end or far_future) and (other_start or far_past) <= (
                    end or far_future
                ):
                    found[item.key] = _("与已有的有效认定（%(doc)s %(start)s 至 %(end)s）有效期重叠。") % {
                        "doc": document_no or (_("文件中另一行") if other_kind == "new" else ""),
                        "start": other_start or "—",
                        "end": other_end or "—",
                    }
                    break
    return found


def designation_overlap_check(designation: Designation) -> None:
    if designation.status not in HOLDING_STATUSES:
        return
    holding = Holding(
        key=0,
        enterprise_id=designation.enterprise_id,
        tier_id=designation.tier_id,
        cluster_id=designation.cluster_id,
        start=designation.recognized_on,
        end=designation.valid_until,
        pk=designation.pk,
    )
    problem = holding_overlaps([holding]).get(0)
    if problem:
        raise ValidationError({"valid_until": problem})


# The database's backstop for the rule above (PostgreSQL: an exclusion constraint over the holding
# designations' date ranges, migration 0016). Two writers can each pass the check before either commits;
# the second then meets the constraint, and reads the same message.
OVERLAP_CONSTRAINT = "designation_holding_no_overlap"


@contextmanager
def overlap_backstop() -> Iterator[None]:
    """Turn the exclusion constraint's IntegrityError into the overlap rule's ValidationError."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if OVERLAP_CONSTRAINT not in str(exc):
            raise
        raise ValidationError({"valid_until": _("与同一企业同一层级的另一有效认定有效期重叠。")}) from exc


@transaction.atomic
def designation_create(*, user=None, **fields) -> Designation:
    """Record a designation (a candidate, unless the user may publish) of an enterprise in their region
    that is in the register (not archived)."""
    enterprise_write_check(user=user, enterprise=fields.get("enterprise"))
    enterprise_archived_check(enterprise=fields.get("enterprise"))
    designation_publish_check(user=user, statuses=[fields.get("status", DesignationStatus.CANDIDATE)])
    designation = Designation(**fields)
    designation_overlap_check(designation)
    with overlap_backstop():
        designation = save_validated(designation, user=user)
    facts_changed(enterprise_ids=[designation.enterprise_id])
    return designation


ENTERPRISE_FIXED = _("认定记录所属的企业不能更改；如登记错了企业，请撤销本记录并为正确的企业另行登记。")


@transaction.atomic
def designation_update(
    *, designation: Designation, user=None, reason: str = "", expected_version: int | None = None, **fields
) -> Designation:
    """Edit a designation (only the named fields, on the row as stored now) and return it; a status
    change must follow the lifecycle (docs/architecture.md, "Domain model"). Its enterprise never
    changes. A stale ``expected_version`` is refused (StaleVersion)."""
    # Locked, so two staff moving the same designation cannot both pass the transition check.
    caller, designation = designation, locked(designation, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=designation.enterprise)
    enterprise = fields.pop("enterprise", designation.enterprise)
    if getattr(enterprise, "pk", enterprise) != designation.enterprise_id:
        raise ValidationError({"enterprise": ENTERPRISE_FIXED})
    designation_publish_check(user=user, statuses=[designation.status, fields.get("status", designation.status)])
    if "status" in fields:
        designation_transition_check(designation.status, fields["status"])
    changed = apply_changes(designation, fields)
    if changed:
        designation_overlap_check(designation)
        with overlap_backstop():
            save_changes(designation, changed, user=user, reason=reason)
        facts_changed(enterprise_ids=[designation.enterprise_id])
    return refreshed(caller, designation)


@transaction.atomic
def designation_delete(*, designation: Designation, user=None, expected_version: int | None = None) -> None:
    designation = locked(designation, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=designation.enterprise)
    designation_publish_check(user=user, statuses=[designation.status])
    enterprise_id = designation.enterprise_id
    if user is not None:
        designation._history_user = user
    designation.delete()
    facts_changed(enterprise_ids=[enterprise_id])
