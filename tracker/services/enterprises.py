"""Write services for enterprises and their cluster memberships."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tracker import uscc
from tracker.models import ClusterMembership, Enterprise
from tracker.services.common import (
    apply_changes,
    enterprise_write_check,
    locked,
    memberships_archived_error,
    refreshed,
    region_write_check,
    save_changes,
    save_validated,
)
from tracker.services.facts_changed import facts_changed

OVERRIDE_PERMISSION = "tracker.override_uscc_check"
USCC_SHAPE_MESSAGE = (
    "统一社会信用代码应为 18 位，由数字和大写字母组成（不含 I、O、S、V、Z），第 3–8 位为行政区划代码。"
)


def uscc_error(code: str) -> str | None:
    """Why a normalised USCC is not acceptable as it stands (shape or GB 32100 check digit), or None.

    The one statement of the rule: the admin form, the API, the services and the importer call it.
    """
    if not uscc.has_valid_shape(code):
        return _(USCC_SHAPE_MESSAGE)
    if not uscc.has_valid_check_digit(code):
        return _("统一社会信用代码校验位不正确：第 18 位应为“%(expected)s”，实际为“%(actual)s”。") % {
            "expected": uscc.check_character(code[:17]),
            "actual": code[17],
        }
    return None


def uscc_check(*, code: str, override_reason: str = "", user=None) -> str:
    """Normalise a USCC and enforce its GB 32100 check digit.

    A code whose check digit fails is rejected unless a user holding the override permission gives a
    reason (some legally issued early codes fail the check). Returns the normalised code.
    """
    code = uscc.normalize(code)
    error = uscc_error(code)
    if error is None:
        return code
    if not uscc.has_valid_shape(code) or not override_reason.strip():
        raise ValidationError({"uscc": error})
    if user is None or not user.has_perm(OVERRIDE_PERMISSION):
        raise ValidationError({"uscc_check_override": _("您没有保存校验位不符代码的权限。")})
    return code


@transaction.atomic
def enterprise_create(*, user=None, memberships: list[dict] | None = None, **fields) -> Enterprise:
    """Create an enterprise (and optionally its memberships) after validating everything, in a current
    region inside the user's own."""
    region_write_check(user=user, region=fields.get("region"))
    fields["uscc"] = uscc_check(
        code=fields.get("uscc", ""), override_reason=fields.get("uscc_check_override", ""), user=user
    )
    enterprise = save_validated(Enterprise(**fields), user=user)
    if memberships:
        membership_set(enterprise=enterprise, memberships=memberships)
    facts_changed(enterprise_ids=[enterprise.pk])
    return enterprise


@transaction.atomic
def enterprise_update(
    *,
    enterprise: Enterprise,
    user=None,
    memberships: list[dict] | None = None,
    expected_version: int | None = None,
    **fields,
) -> Enterprise:
    """Update an enterprise and return it as stored; the USCC check runs again only when the code or
    its override changes, so staff without the override permission can still edit an enterprise whose
    code was overridden. A user may edit only enterprises of their region and may not move one out of it.

    Only the named fields are written, to the row as stored now (locked): a concurrent edit of other
    fields is kept. ``expected_version`` (If-Match, the admin's form) refuses a stale write (StaleVersion).
    """
    caller, enterprise = enterprise, locked(enterprise, expected_version=expected_version)
    enterprise_write_check(user=user, enterprise=enterprise, field="region")
    if "region" in fields and getattr(fields["region"], "pk", None) != enterprise.region_id:
        region_write_check(user=user, region=fields["region"])
    code_changed = uscc.normalize(fields.get("uscc", enterprise.uscc)) != enterprise.uscc
    override = fields.get("uscc_check_override", enterprise.uscc_check_override)
    override_changed = override != enterprise.uscc_check_override
    if code_changed or override_changed:
        fields["uscc"] = uscc_check(
            code=fields.get("uscc", enterprise.uscc),
            override_reason=fields.get("uscc_check_override", enterprise.uscc_check_override),
            user=user,
        )
    changed = apply_changes(enterprise, fields)
    members_changed = memberships is not None and membership_set(enterprise=enterprise, memberships=memberships)
    if changed or members_changed:
        save_changes(enterprise, changed, user=user)  # the memberships are part of the enterprise's version
        facts_changed(enterprise_ids=[enterprise.pk])
    return refreshed(caller, enterprise)


def membership_set(*, enterprise: Enterprise, memberships: list[dict]) -> bool:
    """Replace an enterprise's cluster memberships with the given [{cluster, segment}] list; returns
    whether anything changed. An archived enterprise's memberships stay as they were (it is no member
    of any cluster while out of the register); sending them back unchanged, as a PUT does, is allowed."""
    wanted = {}
    for item in memberships:
        membership = ClusterMembership(enterprise=enterprise, cluster=item["cluster"], segment=item.get("segment"))
        membership.full_clean(exclude=["enterprise"], validate_unique=False)
        if membership.cluster_id in wanted:
            raise ValidationError({"memberships": _("同一集群不能重复加入。")})
        wanted[membership.cluster_id] = membership
    stored = dict(enterprise.memberships.values_list("cluster_id", "segment_id"))
    if enterprise.archived_at is not None and stored != {pk: m.segment_id for pk, m in wanted.items()}:
        raise ValidationError({"memberships": memberships_archived_error(enterprise.name)})
    removed, _by_model = enterprise.memberships.exclude(cluster_id__in=wanted).delete()
    existing = {m.cluster_id: m for m in enterprise.memberships.all()}
    changed = bool(removed)
    for cluster_id, membership in wanted.items():
        current = existing.get(cluster_id)
        if current is None:
            membership.save()
            changed = True
        elif current.segment_id != membership.segment_id:
            current.segment = membership.segment
            current.save(update_fields=["segment"])
            changed = True
    return changed
