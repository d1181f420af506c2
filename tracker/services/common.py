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

    Every write service ends here so the admin, the API and commands validate the same way.
    """
    instance.full_clean()
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user
    if reason:
        instance._change_reason = reason
    instance.save()
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


def enterprise_write_check(*, user, enterprise, field: str = "enterprise") -> None:
    """Refuse a write that attaches facts to an enterprise outside the writer's region."""
    if user is None or enterprise is None:
        return
    scope = region_scope(user)
    if not scope.allows(enterprise.region_id):
        raise ValidationError(
            {field: _("该企业不在您的管辖范围（%(scope)s）内。") % {"scope": scope.describe()}}
        )
