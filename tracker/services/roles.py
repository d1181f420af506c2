"""Roles and offices: what each role may do, and granting a role with its region (audited).

A role is a Django group named by its code (``region_staff``…), created by ``bootstrap`` with exactly
the permissions below; a user's region is their ``UserOffice``. ``role_grant`` is the one way both are
set — the admin's user page and ``manage.py grant_role`` call it — and every grant or revocation
leaves a ``RoleGrant`` row. How an operator uses this: docs/accounts.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.models import Region, Role, RoleGrant, UserOffice
from tracker.models.scoping import forget_region_scope

GRANT_PERMISSION = "auth.change_user"

REFERENCE_VIEW = tuple(
    f"tracker.view_{model}" for model in ("region", "cluster", "chainsegment", "nationalrecognition", "tier", "ruleset")
)
# Region-owned data, and what the read layer narrows to the reader's region: imports (their office's),
# designation batches (every batch, but only the region's candidates, reviews and objections), Excel
# export jobs (one's own; every user's only with download_any_exportjob, the province admin's).
DATA_VIEW = tuple(
    f"tracker.view_{model}"
    for model in ("enterprise", "clustermembership", "annualmetrics", "designation", "eligibilityresult", "tierchange",
                  "importjob", "designationbatch", "batchreview", "objection", "tierreport", "exportjob")
)
# A city or county edits its own enterprises, their facts and designation candidates (the service
# keeps designations at "candidate" without publish_designation), also by Excel import, and adds its
# candidates to a batch (add_designation). Deleting an enterprise is not here: it removes official
# records with it.
REGION_EDIT = (
    "tracker.add_enterprise",
    "tracker.change_enterprise",
    *(f"tracker.{action}_{model}" for model in ("clustermembership", "annualmetrics", "designation")
      for action in ("add", "change", "delete")),
    "tracker.add_importjob",
)
# A designation batch is the province's: creating it, 公示, objections, 复核 outcomes, publishing.
PROVINCE_EDIT = (
    "tracker.publish_designation",
    "tracker.add_designationbatch",
    "tracker.change_designationbatch",
    "tracker.add_objection",
    "tracker.change_objection",
    "tracker.change_batchreview",
    "tracker.override_uscc_check",
    "tracker.add_ruleset",  # drafts: making one active needs publish_ruleset
    "tracker.change_ruleset",
    "tracker.view_evaluationrun",
    "tracker.add_evaluationrun",
    "tracker.view_runchunk",
)
# Building a tier report by hand (the nightly ones build themselves): the province any scope, a city or
# county its own (services/reports.py refuses a region outside the builder's).
REPORT_BUILD = ("tracker.add_tierreport",)
ADMIN_EXTRA = (
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
    *(f"django_celery_beat.{action}_{model}"
      for model in ("periodictask", "crontabschedule", "intervalschedule", "clockedschedule", "solarschedule")
      for action in ("add", "change", "delete", "view")),
)
ALL_TRACKER = "tracker.*"  # every permission of the app, historical models aside

PROVINCE_LEVELS = (Region.Level.PROVINCE,)
LOCAL_LEVELS = (Region.Level.PREFECTURE, Region.Level.COUNTY)
ANY_LEVEL = (Region.Level.PROVINCE, Region.Level.PREFECTURE, Region.Level.COUNTY)


@dataclass(frozen=True)
class RoleSpec:
    role: Role
    staff: bool  # may sign in to the admin; integrators use the API only
    levels: tuple[str, ...]  # the office levels the role fits
    permissions: tuple[str, ...]


ROLES: dict[str, RoleSpec] = {
    spec.role.value: spec
    for spec in (
        RoleSpec(Role.PROVINCE_ADMIN, True, PROVINCE_LEVELS, (ALL_TRACKER, *ADMIN_EXTRA)),
        RoleSpec(
            Role.PROVINCE_STAFF, True, PROVINCE_LEVELS,
            (*REFERENCE_VIEW, *DATA_VIEW, *REGION_EDIT, *PROVINCE_EDIT, *REPORT_BUILD),
        ),
        RoleSpec(Role.REGION_STAFF, True, LOCAL_LEVELS, (*REFERENCE_VIEW, *DATA_VIEW, *REGION_EDIT, *REPORT_BUILD)),
        RoleSpec(Role.READ_ONLY, True, ANY_LEVEL, (*REFERENCE_VIEW, *DATA_VIEW)),
        RoleSpec(Role.INTEGRATOR_RO, False, ANY_LEVEL, (*REFERENCE_VIEW, *DATA_VIEW)),
        RoleSpec(Role.INTEGRATOR_RW, False, ANY_LEVEL, (*REFERENCE_VIEW, *DATA_VIEW, *REGION_EDIT)),
    )
}


def roles_ensure() -> dict[str, int]:
    """Create the role groups and give each exactly its permissions (idempotent: a permission added to
    a role group by hand is taken away again). Returns created / updated / unchanged counts."""
    wanted = _permission_ids()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for code in ROLES:
        group, created = Group.objects.get_or_create(name=code)
        current = set(group.permissions.values_list("id", flat=True))
        if current != wanted[code]:
            group.permissions.set(wanted[code])
            counts["created" if created else "updated"] += 1
        else:
            counts["created" if created else "unchanged"] += 1
    return counts


def _permission_ids() -> dict[str, set[int]]:
    rows = Permission.objects.values_list("id", "content_type__app_label", "content_type__model", "codename")
    by_name = {f"{app}.{codename}": pk for pk, app, _model, codename in rows}
    tracker_all = {
        pk for pk, app, model, _codename in rows if app == "tracker" and not model.startswith("historical")
    }
    wanted = {}
    for code, spec in ROLES.items():
        ids = set()
        for name in spec.permissions:
            if name == ALL_TRACKER:
                ids |= tracker_all
            elif name in by_name:
                ids.add(by_name[name])
            else:
                raise LookupError(f"role {code}: unknown permission {name} (run migrate first)")
        wanted[code] = ids
    return wanted


def user_role(user) -> str | None:
    """The user's role code, from their groups (prefetched groups are used when present)."""
    names = {group.name for group in user.groups.all()}
    return next((code for code in ROLES if code in names), None)


@transaction.atomic
def role_grant(*, user, role: str, region: Region | None = None, unit: str | None = None, granted_by=None,
               note: str = "") -> RoleGrant:
    """Give ``user`` exactly one role and its office region, and record the grant.

    Province roles sit at the province (the default when there is one province); city/county staff at
    a city or county; read-only users and integrators anywhere. Raises ValidationError naming the field
    (``role``, ``region``) when the combination is not allowed or the granting user may not grant.
    """
    _grantor_check(granted_by)
    spec, region = role_region_check(role=role, region=region)
    groups = list(Group.objects.filter(name__in=ROLES))
    if not any(group.name == role for group in groups):
        roles_ensure()
        groups = list(Group.objects.filter(name__in=ROLES))
    user.groups.remove(*[g for g in groups if g.name != role])
    user.groups.add(*[g for g in groups if g.name == role])
    if user.is_staff != spec.staff and not user.is_superuser:
        user.is_staff = spec.staff
        user.save(update_fields=["is_staff"])
    office, _created = UserOffice.objects.get_or_create(user=user, defaults={"region": region})
    office.region = region
    if unit is not None:
        office.unit = unit
    office.save()
    _forget_caches(user)
    return RoleGrant.objects.create(
        user=user, role=role, region=region, unit=office.unit, granted_by=granted_by, note=note
    )


@transaction.atomic
def role_revoke(*, user, granted_by=None, note: str = "") -> RoleGrant:
    """Take away the user's role and office: they keep their account but see and change nothing."""
    _grantor_check(granted_by)
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    UserOffice.objects.filter(user=user).delete()
    if user.is_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    _forget_caches(user)
    return RoleGrant.objects.create(user=user, role="", region=None, granted_by=granted_by, note=note)


def role_region_check(*, role: str, region: Region | None) -> tuple[RoleSpec, Region]:
    """The role's definition and the office region it will have (the province by default for province
    roles); a ValidationError naming ``role`` or ``region`` when they do not go together."""
    spec = ROLES.get(role)
    if spec is None:
        raise ValidationError(
            {"role": _("未知的角色“%(role)s”；可选：%(roles)s。") % {"role": role, "roles": "、".join(ROLES)}}
        )
    region = region or _default_region(spec)
    if region.retired_in:
        raise ValidationError(
            {
                "region": _("行政区划“%(region)s”已撤销，请改选“%(successor)s”。")
                % {"region": region, "successor": region.successor or "—"}
            }
        )
    if region.level not in spec.levels:
        levels = "、".join(str(Region.Level(level).label) for level in spec.levels)
        raise ValidationError(
            {
                "region": _("“%(role)s”的所属地区须为%(levels)s区划，“%(region)s”不符合。")
                % {"role": spec.role.label, "levels": levels, "region": region}
            }
        )
    return spec, region


def _forget_caches(user) -> None:
    """The scope and the permissions Django cached on this user object are stale now."""
    forget_region_scope(user)
    for attribute in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attribute, None)


def _grantor_check(granted_by) -> None:
    if granted_by is not None and not granted_by.has_perm(GRANT_PERMISSION):
        raise ValidationError({"role": _("您没有授予角色的权限。")})


def _default_region(spec: RoleSpec) -> Region:
    if spec.levels == PROVINCE_LEVELS:
        provinces = list(Region.objects.current().filter(level=Region.Level.PROVINCE)[:2])
        if len(provinces) == 1:
            return provinces[0]
    raise ValidationError({"region": _("请指定所属地区（行政区划代码）。")})
