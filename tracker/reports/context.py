"""What the HTML renderings (the admin page, the dashboard, the PDF) show of a frame, ready for a template.

Numbers are formatted here once (thousands separators, signed changes, "—" for a value nobody knows),
long lists are capped with the count of what the xlsx still holds, and the overview is grouped by tier,
so the templates only lay out. Shared by the admin page and the PDF, which therefore cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.reports.charts import report_charts
from tracker.reports.sections import OVERVIEW_MEASURES, OverviewRow, ReportFrame
from tracker.reports.xlsx import AREA_HEADERS, BUCKET_LABELS, MEASURE_LABELS

LEVEL_LABELS = {"province": "全省", "city": "设区市", "county": "县(市、区)"}


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def signed(value: int | None) -> str:
    return "" if value is None else "±0" if value == 0 else f"{value:+,}"


def day(value: dt.date | None) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@dataclass
class Capped:
    """A list cut to what a page can hold; ``more`` rows are only in the xlsx."""

    rows: list
    more: int

    @property
    def more_text(self) -> str:
        return f"{self.more:,}"


def capped(rows: list, cap: int | None, truncated: int = 0) -> Capped:
    shown = rows if cap is None else rows[:cap]
    return Capped(shown, len(rows) - len(shown) + truncated)


def overview_cells(row: OverviewRow) -> list[dict]:
    return [
        {"count": count(row.measures.counts.get(m)), "delta": signed(row.measures.deltas.get(m)),
         "sign": _sign(row.measures.deltas.get(m))}
        for m in OVERVIEW_MEASURES
    ]


def _sign(value: int | None) -> str:
    return "" if not value else "up" if value > 0 else "down"


def overview_by_tier(rows: list[OverviewRow], *, with_group: bool = False) -> list[dict]:
    """The rows grouped under their tier, in the frame's order: [{tier, rows: [{area, group, cells}]}]."""
    groups: list[dict] = []
    for row in rows:
        if not groups or groups[-1]["tier_code"] != row.tier_code:
            groups.append({"tier_code": row.tier_code, "tier": row.tier_name, "rows": []})
        groups[-1]["rows"].append({"area": row.area_name, "group": row.group if with_group else "",
                                   "is_total": row.is_total, "cells": overview_cells(row)})
    return groups


def headline(frame: ReportFrame) -> list[dict]:
    """Held per tier over the whole scope (the total rows), with the change: the dashboard's first line."""
    return [
        {"tier": row.tier_name, "held": count(row.measures.counts.get("held")),
         "delta": signed(row.measures.deltas.get("held")), "sign": _sign(row.measures.deltas.get("held")),
         "candidates": count(row.measures.counts.get("candidates")),
         "review_due": count(row.measures.counts.get("review_due"))}
        for row in frame.overview_regions if row.is_total
    ]


def report_context(frame: ReportFrame, *, cap: int | None = None) -> dict:
    """Everything the report templates read; ``cap`` limits each list (None: the whole list)."""
    truncated = frame.truncated
    return {
        "frame": frame,
        "scope_level": LEVEL_LABELS.get(frame.scope.level, ""),
        "area_label": AREA_HEADERS.get(frame.scope.level, "地区"),  # what the rows of the area tables are
        "report_date": day(frame.report_date),
        "data_date": day(frame.data_date),
        "previous_date": day(frame.previous_report_date) if frame.previous_report_date else "无（首期报告）",
        "measures": [MEASURE_LABELS[m] for m in OVERVIEW_MEASURES],
        "overview_regions": overview_by_tier(frame.overview_regions),
        "overview_clusters": overview_by_tier(frame.overview_clusters, with_group=True),
        "headline": headline(frame),
        "charts": report_charts(frame),
        "changes": capped(frame.changes, cap, truncated.get("changes", 0)),
        "near_misses": capped([{"row": row, "distance": percent(row.distance)}
                               for row in _head(frame.near_misses, cap)], None,
                              _rest(frame.near_misses, cap) + truncated.get("near_misses", 0)),
        "coverage": frame.coverage,
        "to_collect_cities": frame.to_collect_cities,
        "to_collect": capped(frame.to_collect, cap, truncated.get("to_collect", 0)),
        "designations": capped([_designation(row) for row in _head(frame.designations, cap)], None,
                               _rest(frame.designations, cap) + truncated.get("designations", 0)),
    }


def _head(rows: list, cap: int | None) -> list:
    return rows if cap is None else rows[:cap]


def _rest(rows: list, cap: int | None) -> int:
    return 0 if cap is None else max(0, len(rows) - cap)


def _designation(row) -> dict:
    return {"row": row, "recognized_on": day(row.recognized_on), "valid_until": day(row.valid_until),
            "bucket": BUCKET_LABELS.get(row.bucket, row.bucket)}
