"""The official list's identifying columns for a set of enterprises, in two queries."""

from __future__ import annotations

from collections import defaultdict

from tracker.models import ClusterMembership, Enterprise
from tracker.reports.scope import RegionTable
from tracker.reports.sections import EnterpriseRef


def enterprise_refs(ids, table: RegionTable) -> dict[int, EnterpriseRef]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    clusters = defaultdict(list)
    for enterprise, name in (
        ClusterMembership.objects.filter(enterprise_id__in=ids).order_by("cluster__code")
        .values_list("enterprise_id", "cluster__name_zh")
    ):
        clusters[enterprise].append(name)
    out = {}
    for pk, name, uscc, region in Enterprise.objects.filter(pk__in=ids).values_list("id", "name", "uscc", "region_id"):
        city = table.city_code(region)
        county = table.county_code(region)
        out[pk] = EnterpriseRef(pk, name, uscc, table.name(city), table.name(county) if county else "",
                                "、".join(clusters[pk]))
    return out
