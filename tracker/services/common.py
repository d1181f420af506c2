"""Helpers shared by the write services."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from tracker.models.scoping import RegionScope, region_scope


def apply_changes(instance: models.Model, data: dict) -> list[str]:
    """Set the given attributes and return the names that actually changed."""
    changed = []
    for name, value in data.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def save_validated(instance: models.Model, *, user=None, reason: str = "") -> models.Model:
    """full_clean() then save(), recording who made the change in the model's history.

    Every write service ends here so the admin, the API and commands validate the same way. A whole-row
    save of a stored row is for rows the caller locked (``locked``); it bumps their version.
    """
    instance.full_clean()
    _audit(instance, user=user, reason=reason)
    if instance.pk is not None and versioned(instance):
        instance.version += 1
    instance.save()
    return instance


def _audit(instance: models.Model, *, user, reason: str) -> None:
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user
    if reason:
        instance._change_reason = reason


def versioned(model) -> bool:
    """Whether a model (or instance) carries a version (tracker/models/versioning.py)."""
    return any(f.name == "version" for f in model._meta.concrete_fields)


class StaleVersion(ValidationError):
    """The writer saw an older version than the one stored: someone else saved in between.

    A ValidationError (every door already reports those) on the ``version`` field, carrying the row as
    stored now; the API answers 412 with ``current_version``, the admin shows what changed.
    """

    def __init__(self, *, current: models.Model, expected: int):
        self.current = current
        self.current_version = current.version
        super().__init__(
            {
                "version": _(
                    "此记录已被他人修改：您依据的是第 %(expected)s 版，当前为第 %(current)s 版。"
                    "请重新读取后再修改。"
                )
                % {"expected": expected, "current": current.version}
            },
        )


def locked(instance: models.Model, *, expected_version: int | None = None) -> models.Model:
    """The row as stored now, locked until the transaction ends; a StaleVersion when the writer's
    ``expected_version`` (If-Match, the admin form's hidden version) is not the stored one.

    Updates start here, so two writers queue on the row and the second applies its fields to what the
    first committed: nothing the first wrote is written back, in the row or in its history.
    """
    current = type(instance)._default_manager.select_for_update(of=("self",)).get(pk=instance.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current=current, expected=expected_version)
    return current


def refreshed(target: models.Model, saved: models.Model) -> models.Model:
    """Give the caller's instance the values of the row as saved (callers that hold on to the object
    they passed see the update), and return the saved one."""
    if target is not saved:
        for field in saved._meta.concrete_fields:
            setattr(target, field.attname, getattr(saved, field.attname))
    return saved


def save_changes(instance: models.Model, changed: list[str], *, user=None, reason: str = "") -> models.Model:
    """Validate a locked row (``locked``) and write only the ``changed`` fields, its version and
    ``updated_at``: a partial update writes the fields it names and nothing else."""
    instance.full_clean()
    _audit(instance, user=user, reason=reason)
    fields = list(changed)
    if versioned(instance):
        instance.version += 1
        fields.append("version")
    if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
        fields.append("updated_at")
    instance.save(update_fields=fields)
    return instance


def region_write_check(*, user, region, field: str = "region") -> None:
    """Refuse to put an object in a region outside the writer's, or under a retired code.

    ``user`` None is the system (commands, tasks): no region applies. Raises a ValidationError naming
    ``field``.
    """
    if region is None:
        return
    message = region_write_error(region=region, scope=None if user is None else region_scope(user))
    if message:
        raise ValidationError({field: message})


def region_write_error(*, region, scope: RegionScope | None) -> str | None:
    """Why an enterprise may not be registered or moved to ``region`` by a writer whose region is
    ``scope`` (None: the system, anywhere): a retired code, or a region outside the scope. None when it
    may. The importer asks this once per region its rows name."""
    if region.retired_in:
        return _("行政区划“%(region)s”已于 %(year)s 年撤销，请改选“%(successor)s”。") % {
            "region": region,
            "year": region.retired_in,
            "successor": region.successor or "—",
        }
    if scope is not None and not scope.allows(region.pk):
        return _("“%(region)s”不在您的管辖范围内：您只能管理%(scope)s范围内的企业。") % {
            "region": region,
            "scope": scope.describe(),
        }
    return None


def archived_error(name: str) -> str:
    """Why a new record of the archived enterprise ``name`` is refused (the services and the importer)."""
    return _("“%(name)s”已归档（不在册），不能为其登记新的记录；如确需登记，请先恢复该企业。") % {"name": name}


def memberships_archived_error(name: str) -> str:
    """Why the clusters of the archived enterprise ``name`` stay as they are (the service and the importer)."""
    return _("“%(name)s”已归档（不在册），不能更改其所属集群；请先恢复该企业。") % {"name": name}


def enterprise_archived_check(*, enterprise, field: str = "enterprise") -> None:
    """Refuse a new record of an archived enterprise (a designation, a year of metrics): archived, it is
    out of the register until restored (services/enterprise_archive.py). Its stored records stay
    editable: they are the record of what it was, and a designation may still have to be revoked."""
    if enterprise is not None and getattr(enterprise, "archived_at", None) is not None:
        raise ValidationError({field: archived_error(enterprise.name)})


def enterprise_write_check(*, user, enterprise, field: str = "enterprise") -> None:
    """Refuse a write that attaches facts to an enterprise outside the writer's region."""
    if user is None or enterprise is None:
        return
    scope = region_scope(user)
    if not scope.allows(enterprise.region_id):
        raise ValidationError(
            {field: _("该企业不在您的管辖范围（%(scope)s）内。") % {"scope": scope.describe()}}
        )
