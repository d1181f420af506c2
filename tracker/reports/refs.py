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


class RefReader:
    """``enterprise_refs`` that keeps what it read: the reports built together ask for the same
    enterprises again (a city's lists are mostly the province's), and each is read once."""

    def __init__(self, table: RegionTable):
        self.table = table
        self.known: dict[int, EnterpriseRef] = {}

    def __call__(self, ids) -> dict[int, EnterpriseRef]:
        ids = set(ids)
        missing = ids - self.known.keys()
        if missing:
            self.known.update(enterprise_refs(missing, self.table))
        return {pk: self.known[pk] for pk in ids if pk in self.known}
