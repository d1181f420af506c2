"""The night's aggregates: one pass over the current results, grouped, that every scope's report reads.

The results are grouped by tier, region, status and near miss (and once more by cluster), so the
province's and the 13 cities' reports come out of the same few grouped rows: a city's report keeps the
rows of its regions. The designations side (held, on their way, due, expired) is read from the
designations, which are few next to the results, with the status of each one's current result.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q

from tracker.models import ClusterMembership, Designation, EligibilityResult
from tracker.models.designations import held_on_q


@dataclass
class TitleKey:
    """One (enterprise, tier, cluster) with a designation held on the data date or on its way."""

    enterprise_id: int
    tier_id: str
    cluster_id: int | None
    region_id: int
    held: bool
    status: str | None  # the current result's status; None when there is none


@dataclass
class Source:
    data_date: dt.date
    previous_data_date: dt.date | None
    results: list[tuple[str, int, str, bool, int]]  # tier, region, status, near_miss, count
    cluster_results: list[tuple[str, int, int, str, bool, int]]  # tier, cluster, region, status, near_miss, count
    titles: list[TitleKey]
    memberships: dict[int, list[tuple[int, int | None]]]  # enterprise → (cluster, segment), designated ones
    review_due: list[tuple[str, int | None, int, int]] = field(default_factory=list)  # tier, cluster, ent, region
    expired: list[tuple[str, int | None, int, int]] = field(default_factory=list)

    # The titles counted alike, with how many: the overview and the coverage of every scope walk these
    # groups instead of every designated enterprise once per scope and table. Each table keys them by
    # only what it reads, so that the groups are few.
    @cached_property
    def region_title_groups(self) -> Counter:
        """(tier, region, held, status) → number of titles."""
        return Counter((t.tier_id, t.region_id, t.held, t.status) for t in self.titles)

    @cached_property
    def cluster_title_groups(self) -> Counter:
        """(tier, cluster, region, held, status, clusters of the enterprise) → number of titles."""
        return Counter((t.tier_id, t.cluster_id, t.region_id, t.held, t.status, self._clusters(t.enterprise_id))
                       for t in self.titles)

    @cached_property
    def held_title_groups(self) -> Counter:
        """(tier, cluster, region, (cluster, segment) memberships of the enterprise) → titles held."""
        return Counter((t.tier_id, t.cluster_id, t.region_id, tuple(self.memberships.get(t.enterprise_id, ())))
                       for t in self.titles if t.held)

    def due_groups(self, measure: str, *, clusters: bool) -> Counter:
        """(tier, cluster, region, clusters of the enterprise or ()) → designations due for review
        (``measure`` "review_due") or run out ("expired")."""
        key = (measure, clusters)
        if key not in self._due_groups:
            rows = self.review_due if measure == "review_due" else self.expired
            self._due_groups[key] = Counter(
                (tier, cluster, region, self._clusters(enterprise) if clusters else ())
                for tier, cluster, enterprise, region in rows
            )
        return self._due_groups[key]

    def _clusters(self, enterprise_id: int) -> tuple[int, ...]:
        return tuple(c for c, _segment in self.memberships.get(enterprise_id, ()))

    @cached_property
    def _due_groups(self) -> dict:
        return {}


def _results(region_code: str | None):
    qs = EligibilityResult.objects.current()
    return qs.within_region(region_code) if region_code else qs


def load_source(*, data_date: dt.date, previous_data_date: dt.date | None, region_code: str | None = None) -> Source:
    """The aggregates of the province (``region_code`` None) or of one region, in a handful of queries."""
    results = _results(region_code)
    # One pass for the region table and the per-cluster tier's column of the cluster table: grouped
    # by cluster too (only the per-cluster tier's results name one), then summed over it here.
    grouped: Counter = Counter()
    by_own_cluster = []
    for tier, cluster, region, status, near_miss, n in (
        results.order_by()
        .values_list("tier_id", "cluster_id", "enterprise__region_id", "status", "near_miss")
        .annotate(n=Count("id"))
    ):
        grouped[(tier, region, status, near_miss)] += n
        if cluster is not None:
            by_own_cluster.append((tier, cluster, region, status, near_miss, n))
    # Enterprise tiers count in every cluster the enterprise belongs to.
    by_membership = (
        results.filter(cluster__isnull=True).order_by()
        .values_list("tier_id", "enterprise__memberships__cluster_id", "enterprise__region_id", "status", "near_miss")
        .annotate(n=Count("id"))
    )
    designations = Designation.objects.all()
    if region_code:
        designations = designations.within_region(region_code)
    same_title = Q(enterprise_id=OuterRef("enterprise_id"), tier_id=OuterRef("tier_id")) & (
        Q(cluster__isnull=True) | Q(cluster_id=OuterRef("cluster_id"))
    )
    on_way = designations.held_or_pending(data_date)
    statuses = {
        (e, t, c): s
        for e, t, c, s in results.filter(Exists(on_way.filter(same_title)))
        .values_list("enterprise_id", "tier_id", "cluster_id", "status")
    }
    keys: dict[tuple, TitleKey] = {}
    held_now = ExpressionWrapper(held_on_q(data_date), output_field=BooleanField())
    for e, t, c, region, held in on_way.annotate(held_now=held_now).values_list(
        "enterprise_id", "tier_id", "cluster_id", "enterprise__region_id", "held_now"
    ):
        key = (e, t, c)
        if key in keys:
            keys[key].held = keys[key].held or held
        else:
            keys[key] = TitleKey(e, t, c, region, bool(held), statuses.get(key))
    # The memberships of every enterprise with a designation (held, on its way, due or run out).
    memberships: dict[int, list] = defaultdict(list)
    member_rows = ClusterMembership.objects.filter(
        Exists(designations.exclude(status="revoked").filter(enterprise_id=OuterRef("enterprise_id")))
    )
    for e, c, s in member_rows.values_list("enterprise_id", "cluster_id", "segment_id"):
        memberships[e].append((c, s))
    horizon = data_date + dt.timedelta(days=settings.TIDU["REVIEW_DUE_DAYS"])
    due = designations.held_on(data_date).filter(
        Q(status="review_due") | Q(valid_until__lte=horizon)
    ).order_by().values_list("tier_id", "cluster_id", "enterprise_id", "enterprise__region_id").distinct()
    since = previous_data_date or data_date - dt.timedelta(days=1)
    expired = designations.filter(
        valid_until__gte=since, valid_until__lt=data_date, status__in=["active", "review_due", "renewed", "expired"]
    ).order_by().values_list("tier_id", "cluster_id", "enterprise_id", "enterprise__region_id").distinct()
    return Source(
        data_date=data_date,
        previous_data_date=previous_data_date,
        results=[(*key, n) for key, n in grouped.items()],
        cluster_results=[row for row in by_membership if row[1] is not None] + by_own_cluster,
        titles=list(keys.values()),
        memberships=dict(memberships),
        review_due=list(due),
        expired=list(expired),
    )
