"""Who may see what: a user's region scope, and the QuerySet every region-owned model reads through.

This module is the one place the scoping rule is written (docs/architecture.md, "Who sees what"). A
user sees what is registered under the region of their office (``UserOffice``): a province office sees
everything, a city office its city and counties, a county office its county. A superuser sees
everything; anyone else — anonymous, inactive, or a user nobody gave an office — sees nothing.

The region table is small (a few hundred rows), so a user's region is resolved to region ids once per
request and every query filters ``region_id IN (…)``: no LIKE on codes per row, no query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import models

from tracker.rules.ruleset import region_prefix

SCOPE_CACHE_ATTRIBUTE = "_tidu_region_scope"


@dataclass(frozen=True)
class RegionScope:
    """The regions a user may read and write. ``region_ids`` None means no restriction."""

    region_ids: frozenset[int] | None
    office_region: object = None  # the Region of the user's office, when there is one

    @property
    def unrestricted(self) -> bool:
        return self.region_ids is None

    @property
    def sees_anything(self) -> bool:
        return self.region_ids is None or bool(self.region_ids)

    def allows(self, region_id: int | None) -> bool:
        return self.region_ids is None or region_id in self.region_ids

    def allows_each(self, region_ids: np.ndarray) -> np.ndarray:
        """``allows`` for a column of region ids at once (the importer's rows): a bool per element."""
        region_ids = np.asarray(region_ids)
        if self.region_ids is None:
            return np.ones(len(region_ids), dtype=bool)
        return np.isin(region_ids, np.fromiter(self.region_ids, dtype=np.int64, count=len(self.region_ids)))

    def describe(self) -> str:
        """The scope as staff name it in an error message (南京市（320100）)."""
        return str(self.office_region) if self.office_region is not None else "—"


EVERYWHERE = RegionScope(None)
NOWHERE = RegionScope(frozenset())


def region_scope(user) -> RegionScope:
    """The scope of ``user`` (cached on the user object for the rest of the request)."""
    cached = getattr(user, SCOPE_CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    scope = _resolve(user)
    setattr(user, SCOPE_CACHE_ATTRIBUTE, scope)
    return scope


def forget_region_scope(user) -> None:
    """Drop the cached scope, after the user's office changed."""
    if hasattr(user, SCOPE_CACHE_ATTRIBUTE):
        delattr(user, SCOPE_CACHE_ATTRIBUTE)


def _resolve(user) -> RegionScope:
    from tracker.models.offices import UserOffice

    if user is None or not user.is_authenticated or not user.is_active:
        return NOWHERE
    if user.is_superuser:
        return EVERYWHERE
    office = UserOffice.objects.select_related("region").filter(user_id=user.pk).first()
    if office is None:
        return NOWHERE
    return office_scope(office.region)


def office_scope(region) -> RegionScope:
    """The scope of an office in ``region``: a province office sees everything, any other its region."""
    from tracker.models.regions import Region

    if region.level == Region.Level.PROVINCE:
        return RegionScope(None, region)
    return RegionScope(region_ids_within(region.code), region)


def region_ids_within(code_or_prefix: str) -> frozenset[int]:
    """Ids of the regions under a GB/T 2260 code or prefix (320500 and 3205 both mean 苏州市 and its
    counties), including retired codes whose successor lies under it. Nothing for a malformed value."""
    from tracker.models.regions import Region

    prefix = region_prefix(str(code_or_prefix).strip())
    if not prefix.isascii() or not prefix.isdigit():
        return frozenset()
    rows = list(Region.objects.values_list("id", "code", "successor_id"))
    inside = {pk for pk, code, _successor in rows if code.startswith(prefix)}
    successor_of = {pk: successor for pk, _code, successor in rows if successor}
    for pk in successor_of:
        seen, current = set(), pk
        while current in successor_of and current not in seen:  # a retired code merged into a merged one
            seen.add(current)
            current = successor_of[current]
            if current in inside:
                inside.add(pk)
                break
    return frozenset(inside)


class RegionScopedQuerySet(models.QuerySet):
    """Rows that belong to a region, directly or through their enterprise.

    ``region_lookup`` is the path from the model to its Region (``region``, ``enterprise__region``, or
    ``pk`` for Region itself). A model that carries a region gets scoping by subclassing this and
    naming the path; nothing else writes a scoping filter.
    """

    region_lookup = "region"

    def visible_to(self, user):
        """What ``user`` may read: everything, the rows of their region, or nothing."""
        scope = region_scope(user)
        if scope.unrestricted:
            return self
        return self._in_regions(scope.region_ids)

    def within_region(self, code_or_prefix: str):
        """Rows registered under a region code or prefix (the city and county filters)."""
        return self._in_regions(region_ids_within(code_or_prefix))

    def _in_regions(self, region_ids: frozenset[int]):
        if not region_ids:
            return self.none()
        return self.filter(**{f"{self.region_lookup}__in": sorted(region_ids)})


class ProgrammeQuerySet(models.QuerySet):
    """Rows that belong to the programme as a whole rather than to a region (a designation batch is the
    province's, one per tier and round): every reader with an office sees them, nobody else does. What
    such a row holds from the regions (a batch's candidates, reviews, objections) is scoped as usual."""

    def visible_to(self, user):
        return self if region_scope(user).sees_anything else self.none()
