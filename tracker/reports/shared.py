"""What the reports built together read once: the night's province and 13 cities (or one report alone).

Each capped list is one query ranked within the scopes' parts (``parts.py``), the data to collect is
one grouped read of the insufficient results (its groups are per region, so a scope keeps its own),
and the gaps and official columns of every listed result and enterprise are read in one pass and
kept (``GapReader``, ``RefReader``). A scope's report then only picks its rows in memory: the 14
reports cost about what the province's alone did.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import F

from tracker.models import EligibilityResult
from tracker.models.evaluation import ResultStatus
from tracker.reports.gaps import GapReader
from tracker.reports.parts import Parts, Ranked, ranked
from tracker.reports.refs import RefReader
from tracker.reports.scope import RegionTable, ReportScope

RESULT_REGION = "enterprise__region_id"


class SharedLists:
    """The lists' readings, each made on first use and kept for every scope of ``parts``."""

    def __init__(self, *, scopes: list[ReportScope], table: RegionTable, gap_reader: GapReader,
                 refs: RefReader | None = None):
        self.parts = Parts.of(scopes, table)
        self.gap_reader = gap_reader
        self.refs = refs or RefReader(table)
        self._readings: dict = {}

    def reading(self, key, read: Callable):
        if key not in self._readings:
            self._readings[key] = read()
        return self._readings[key]

    def ranked(self, key, qs, *, region_field: str, order_by: list, cap: int, per: tuple[str, ...] = ()) -> Ranked:
        return self.reading(("ranked", key, cap), lambda: ranked(
            qs, parts=self.parts, region_field=region_field, order_by=order_by, cap=cap, per=per))

    def near_misses(self, cap: int) -> Ranked:
        """Per tier, the closest first: the result's normalised shortfall, then the enterprise id; the
        gaps of every row read at once."""

        def read():
            qs = EligibilityResult.objects.current().filter(near_miss=True).only(
                "id", "enterprise_id", "tier_id", "cluster_id", "shortfall", "ruleset_id", "failed_nodes")
            rows = ranked(qs, parts=self.parts, region_field=RESULT_REGION, cap=cap, per=("tier_id",),
                          order_by=[F("shortfall").asc(), F("enterprise_id").asc(), F("cluster_id").asc()])
            self.gap_reader.gaps(rows.rows)
            self.refs({row.enterprise_id for row in rows.rows})
            return rows

        return self.reading(("near_misses", cap), read)

    def insufficient_groups(self, group: Callable) -> list[tuple]:
        """The insufficient results grouped by region, ruleset, bitmap and tier (``collect._groups``)."""
        return self.reading("insufficient", lambda: group(self.parts.restrict(
            EligibilityResult.objects.current().filter(status=ResultStatus.INSUFFICIENT_DATA).order_by(),
            RESULT_REGION)))
