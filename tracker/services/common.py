"""Helpers shared by the write services."""

from django.db import models


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
