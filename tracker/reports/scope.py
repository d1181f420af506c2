"""Whose report, and which row of its tables each region's enterprises fall in.

The province's report has a row per city, a city's a row per county (enterprises registered at the
city's own code form the row "市本级"), a county's one row. The region table is small: it is read once
per night and every enterprise's region id is mapped to its row in memory. Which regions a scope holds
is the read layer's rule (``region_ids_within``), retired codes included.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from tracker.models import Region
from tracker.models.scoping import region_ids_within
from tracker.reports.sections import Scope

PROVINCE_CODE = "320000"


@dataclass
class RegionTable:
    """Every region by id: code, name, and the current region a retired code was merged into."""

    codes: dict[int, str]
    names_by_code: dict[str, str]
    current_code: dict[int, str]  # region id → the code of the current region it counts under

    @classmethod
    def load(cls) -> RegionTable:
        rows = list(Region.objects.values_list("id", "code", "name", "successor_id"))
        codes = {pk: code for pk, code, _name, _successor in rows}
        successor = {pk: succ for pk, _code, _name, succ in rows if succ}
        current = {}
        for pk in codes:
            seen, at = set(), pk
            while at in successor and at not in seen:
                seen.add(at)
                at = successor[at]
            current[pk] = codes[at]
        return cls(codes, {code: name for _pk, code, name, _s in rows}, current)

    def name(self, code: str) -> str:
        return self.names_by_code.get(code, code)

    def city_code(self, region_id: int) -> str:
        return self.current_code.get(region_id, "")[:4] + "00"

    def county_code(self, region_id: int) -> str:
        """The county of a region; "" for a city's or the province's own code."""
        code = self.current_code.get(region_id, "")
        return "" if code.endswith("00") else code


@dataclass
class ReportScope:
    scope: Scope
    region_code: str  # six digits
    region_ids: frozenset[int] | None  # None: the whole province

    def contains(self, region_id: int) -> bool:
        return self.region_ids is None or region_id in self.region_ids

    def area_of(self, table: RegionTable, region_id: int) -> tuple[str, str]:
        """The (code, name) of the table row the enterprises of ``region_id`` are counted in."""
        level = self.scope.level
        if level == "province":
            city = table.city_code(region_id)
            if city == PROVINCE_CODE:
                return city, _("省本级")
            return city, table.name(city)
        if level == "city":
            county = table.county_code(region_id)
            if not county:
                return self.region_code, _("市本级")
            return county, table.name(county)
        return self.region_code, table.name(self.region_code)


def resolve_scope(region_code: str | None, table: RegionTable | None = None) -> ReportScope:
    """The scope of a region code ("3205", "320500", "320583"; None or "32"/"320000": the province)."""
    table = table or RegionTable.load()
    code = (region_code or "").strip()
    if code in ("", "32", PROVINCE_CODE):
        return ReportScope(Scope("32", table.name(PROVINCE_CODE), "province"), PROVINCE_CODE, None)
    six = code.ljust(6, "0") if len(code) in (2, 4) else code
    if six not in table.names_by_code:
        raise Region.DoesNotExist(_("未知的行政区划代码：%(code)s") % {"code": code})
    if six.endswith("00"):
        return ReportScope(Scope(six[:4], table.name(six), "city"), six, region_ids_within(six))
    return ReportScope(Scope(six, table.name(six), "county"), six, region_ids_within(six))


def city_codes() -> list[str]:
    """The current cities of the province (the 13 nightly city reports)."""
    return list(
        Region.objects.current().filter(level=Region.Level.PREFECTURE).order_by("code").values_list("code", flat=True)
    )
