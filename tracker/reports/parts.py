"""The parts of the province that the reports built together are made of, and each part's first rows.

The night builds 14 reports — the province and its 13 cities — from the same results. Rather than
asking the database 14 times for a capped list, each list is read once, ranked within each *part*:
the regions that belong to the same set of the night's scopes (a city's regions; the province's own
code, which is in no city). Every scope is a union of parts, so a scope's first ``cap`` rows are
among its parts' first ``cap`` rows: merged in the order of the whole list (each row carries its
position in it) and cut again, they are exactly what a query of the scope alone returns, and the
parts' counts add up to the scope's count. A single report on demand is the same reading with one
part, its own scope.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Value, When, Window
from django.db.models.functions import RowNumber

from tracker.reports.scope import RegionTable, ReportScope


@dataclass(frozen=True)
class Parts:
    """Region id → part, and each scope's parts. Regions that no scope holds belong to no part."""

    region_part: dict[int, int]
    scope_parts: dict[str, frozenset[int]]  # scope region code → its parts
    whole: bool  # a scope is the whole province: every region is in a part, rows need no region filter

    @classmethod
    def of(cls, scopes: list[ReportScope], table: RegionTable) -> Parts:
        by_members: dict[tuple, int] = {}
        region_part = {}
        for region_id in sorted(table.codes):
            members = tuple(s.region_code for s in scopes if s.contains(region_id))
            if members:
                region_part[region_id] = by_members.setdefault(members, len(by_members))
        scope_parts = {
            s.region_code: frozenset(part for members, part in by_members.items() if s.region_code in members)
            for s in scopes
        }
        return cls(region_part, scope_parts, whole=any(s.region_ids is None for s in scopes))

    def of_scope(self, scope: ReportScope) -> frozenset[int]:
        return self.scope_parts[scope.region_code]

    def restrict(self, qs, region_field: str):
        """``qs`` cut to the regions of the parts (nothing to cut when a scope is the whole province)."""
        if self.whole:
            return qs
        return qs.filter(**{f"{region_field}__in": sorted(self.region_part)})

    def expression(self, region_field: str):
        """The part of a row, from its region (SQL CASE over the few parts)."""
        regions: dict[int, list[int]] = defaultdict(list)
        for region_id, part in self.region_part.items():
            regions[part].append(region_id)
        if len(regions) == 1:
            return Value(next(iter(regions)), output_field=IntegerField())
        whens = [When(**{f"{region_field}__in": ids}, then=Value(part)) for part, ids in sorted(regions.items())]
        return Case(*whens, default=Value(-1), output_field=IntegerField())


@dataclass
class Ranked:
    """One list read for all the parts: each part's first rows, in the order of the whole list."""

    rows: list  # model instances or dicts, each with _part, _position, _rank, _total
    per: tuple[str, ...]

    def _key(self, row, name):
        return row[name] if isinstance(row, dict) else getattr(row, name)

    def for_scope(self, parts: frozenset[int], cap: int) -> tuple[dict[tuple, list], dict[tuple, int]]:
        """The scope's first ``cap`` rows per value of ``per`` (in list order), and its count per value."""
        picked: dict[tuple, list] = defaultdict(list)
        totals: dict[tuple, int] = defaultdict(int)
        for row in self.rows:  # already in the order of the whole list
            if self._key(row, "_part") not in parts:
                continue
            group = tuple(self._key(row, name) for name in self.per)
            if self._key(row, "_rank") == 1:
                totals[group] += self._key(row, "_total")
            if len(picked[group]) < cap:
                picked[group].append(row)
        return dict(picked), dict(totals)


def ranked(qs, *, parts: Parts, region_field: str, order_by: list, cap: int, per: tuple[str, ...] = ()) -> Ranked:
    """Each part's first ``cap`` rows of ``qs`` (per value of the ``per`` fields) in ``order_by``, with
    the part's count and each row's position in the whole list: one query for every scope."""
    part = parts.expression(region_field)
    partition = [part, *[F(name) for name in per]]
    qs = parts.restrict(qs, region_field).annotate(
        _part=part,
        _position=Window(RowNumber(), order_by=order_by),
        _rank=Window(RowNumber(), partition_by=partition, order_by=order_by),
        _total=Window(Count("pk"), partition_by=partition),
    ).filter(_rank__lte=cap)
    rows = sorted(qs, key=lambda row: row["_position"] if isinstance(row, dict) else row._position)
    return Ranked(rows, per)
