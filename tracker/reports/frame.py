"""Build a report's frame: the one computation the admin page, the xlsx, the PDF and the API render.

Set-based throughout (docs/architecture.md, "Reports"): the overview comes from the night's grouped
aggregates (``source.py``: one pass over the results, grouped by tier, region, status and near miss;
the designations read beside them), and each list is one capped query plus one read of its
enterprises' columns and gaps. Nothing is queried per row or per cell.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.utils.translation import gettext as _

from tracker.models import Cluster, EvaluationRun, Tier
from tracker.models.evaluation import ResultStatus
from tracker.reports import lists
from tracker.reports.collect import to_collect
from tracker.reports.scope import RegionTable, ReportScope, resolve_scope
from tracker.reports.sections import OVERVIEW_MEASURES, Measures, OverviewRow, ReportFrame
from tracker.reports.shared import SharedLists
from tracker.reports.source import Source, load_source


class NoResults(Exception):
    """No full run has completed yet: there is nothing to report."""


def report_run(report_date: dt.date) -> tuple[EvaluationRun | None, bool, str]:
    """The run a report of ``report_date`` shows — the last completed full run of that date or
    before — and whether it is stale (the night's run failed, is still running, or never started)."""
    run = (
        EvaluationRun.objects.completed_full().filter(as_of__lte=report_date)
        .order_by("-as_of", "-finished_at", "-pk").first()
    )
    if run is None:
        return None, True, _("尚无已完成的全量评价运行。")
    if run.as_of == report_date:
        return run, False, ""
    tonight = EvaluationRun.objects.filter(kind=EvaluationRun.Kind.NIGHTLY, as_of=report_date).order_by("-pk").first()
    if tonight is None:
        why = _("%(date)s 的夜间评价未运行") % {"date": report_date.isoformat()}
    elif tonight.status == EvaluationRun.Status.FAILED:
        why = _("%(date)s 的夜间评价失败") % {"date": report_date.isoformat()}
    else:
        why = _("%(date)s 的夜间评价尚未完成") % {"date": report_date.isoformat()}
    reason = _("%(why)s：本报告数据来自上一次评价（%(as_of)s）。") % {"why": why, "as_of": run.as_of.isoformat()}
    return run, True, reason


def build_frame(
    *,
    report_date: dt.date,
    region: str | None = None,
    previous: ReportFrame | None = None,
    source: Source | None = None,
    table: RegionTable | None = None,
    run_info: tuple | None = None,
    gap_reader=None,
    shared_lists: SharedLists | None = None,
) -> ReportFrame:
    """The report of ``region`` (a code; None: the province) for ``report_date``.

    ``previous`` is the scope's previous report (deltas, the changes' window); ``source``, ``table``,
    ``run_info``, ``gap_reader`` and ``shared_lists`` let the nightly build share one aggregation and one
    reading of each list between its 14 scopes.
    """
    table = table or RegionTable.load()
    scope = resolve_scope(region, table)
    run, stale, reason = run_info or report_run(report_date)
    if run is None:
        raise NoResults(reason)
    data_date = run.as_of
    previous_data_date = previous.data_date if previous else None
    if source is None:
        source = load_source(
            data_date=data_date, previous_data_date=previous_data_date,
            region_code=None if scope.scope.level == "province" else scope.region_code,
        )
    tiers = ladder()
    tier_names = dict(tiers)
    clusters = list(Cluster.objects.order_by("group", "code"))
    context = lists.ListContext.of(scope=scope, table=table, run=run, tier_names=tier_names,
                                   gap_reader=gap_reader, previous_data_date=previous_data_date, shared=shared_lists)
    frame = ReportFrame(
        scope=scope.scope,
        report_date=report_date,
        data_date=data_date,
        run_id=run.pk,
        stale=stale,
        stale_reason=reason,
        previous_report_date=previous.report_date if previous else None,
        tiers=tiers,
        overview_regions=_overview_regions(source, scope, table, tiers, previous),
        overview_clusters=_overview_clusters(source, scope, tiers, clusters, previous),
        changes=[],
        near_misses=[],
        coverage=lists.coverage(source, scope, clusters),
        to_collect_cities=[],
        to_collect=[],
        designations=[],
    )
    frame.changes = lists.changes(context, since=previous)
    frame.near_misses = lists.near_misses(context, tiers)
    frame.to_collect_cities, frame.to_collect = to_collect(context)
    frame.designations = lists.designations(context)
    frame.truncated = context.truncated
    return frame


def ladder() -> list[tuple[str, str]]:
    """(code, name) of every tier: the 专精特新 ladder, then high growth, then the chain, each bottom up."""
    tracks = [value for value, _label in Tier.Track.choices]
    rows = Tier.objects.values_list("track", "ladder_order", "code", "name_zh")
    return [(code, name) for _t, _o, code, name in sorted(rows, key=lambda r: (tracks.index(r[0]), r[1], r[2]))]


def _empty() -> Counter:
    return Counter(dict.fromkeys(OVERVIEW_MEASURES, 0))


def _count_results(cells: dict, key, status: str, near_miss: bool, n: int) -> None:
    cell = cells[key]
    if status == ResultStatus.ELIGIBLE:
        cell["eligible"] += n
    elif status == ResultStatus.INSUFFICIENT_DATA:
        cell["insufficient"] += n
    if near_miss:
        cell["near_miss"] += n


def _count_titles(cells: dict, title_groups, due_groups, keys_of) -> None:
    """Held, at risk, and the eligible results already held or on their way (not candidates), then
    the designations due and run out. The groups are ``Source``'s: (tier, cluster, region, …, n)."""
    for (tier, cluster, region, held, status, *rest), n in title_groups.items():
        for key in keys_of(tier, cluster, region, *rest):
            cell = cells[key]
            if held:
                cell["held"] += n
                if status != ResultStatus.ELIGIBLE:
                    cell["at_risk"] += n
            if status == ResultStatus.ELIGIBLE:
                cell["candidates"] -= n
    for measure, groups in due_groups:
        for (tier, cluster, region, *rest), n in groups.items():
            for key in keys_of(tier, cluster, region, *rest):
                cells[key][measure] += n


def _overview_regions(source, scope: ReportScope, table, tiers, previous) -> list[OverviewRow]:
    cells: dict = defaultdict(_empty)
    names: dict[str, str] = {}
    areas: dict[int, str] = {}

    def area(region_id):
        if region_id not in areas:
            code, name = scope.area_of(table, region_id)
            names[code] = name
            areas[region_id] = code
        return areas[region_id]

    for tier, region, status, near_miss, n in source.results:
        if scope.contains(region):
            _count_results(cells, (tier, area(region)), status, near_miss, n)
    for cell in cells.values():
        cell["candidates"] += cell["eligible"]
    by_region = Counter()
    for (tier, region, held, status), n in source.region_title_groups.items():
        by_region[(tier, None, region, held, status)] += n
    _count_titles(cells, by_region, [(m, source.due_groups(m, clusters=False)) for m in ("review_due", "expired")],
                  lambda t, c, r, *_: [(t, area(r))] if scope.contains(r) else [])
    before = _previous_cells(previous.overview_regions if previous else None)
    rows = []
    for code, name in tiers:
        areas_of_tier = sorted(a for t, a in cells if t == code)
        total = _empty()
        for a in areas_of_tier:
            total.update(cells[(code, a)])
            rows.append(_row(code, name, a, names[a], "", cells[(code, a)], before, previous))
        rows.append(_row(code, name, "", _("合计"), "", total, before, previous, is_total=True))
    return rows


def _overview_clusters(source, scope: ReportScope, tiers, clusters, previous) -> list[OverviewRow]:
    cells: dict = defaultdict(_empty)
    for tier, cluster, region, status, near_miss, n in source.cluster_results:
        if scope.contains(region):
            _count_results(cells, (tier, cluster), status, near_miss, n)
    for cell in cells.values():
        cell["candidates"] += cell["eligible"]

    def keys_of(tier, cluster, region, clusters_of_enterprise):
        if not scope.contains(region):
            return []
        if cluster is not None:
            return [(tier, cluster)]
        return [(tier, c) for c in clusters_of_enterprise]

    _count_titles(cells, source.cluster_title_groups,
                  [(m, source.due_groups(m, clusters=True)) for m in ("review_due", "expired")], keys_of)
    before = _previous_cells(previous.overview_clusters if previous else None)
    rows = []
    for code, name in tiers:
        total = _empty()
        for cluster in clusters:
            if (code, cluster.pk) not in cells:
                continue
            cell = cells[(code, cluster.pk)]
            total.update(cell)
            rows.append(_row(code, name, cluster.code, cluster.name_zh, str(cluster.get_group_display()),
                             cell, before, previous))
        if any(r.tier_code == code for r in rows):
            rows.append(_row(code, name, "", _("合计（企业可属多个集群）"), "", total, before, previous,
                             is_total=True))
    return rows


def _previous_cells(rows) -> dict:
    return {} if rows is None else {(r.tier_code, r.area_code, r.is_total): r.measures.counts for r in rows}


def _row(tier, tier_name, area_code, area_name, group, cell, before, previous, is_total=False) -> OverviewRow:
    counts = {m: int(cell[m]) for m in OVERVIEW_MEASURES}
    if previous is None:
        deltas = dict.fromkeys(OVERVIEW_MEASURES)
    else:
        old = before.get((tier, area_code, is_total), {})
        deltas = {m: counts[m] - int(old.get(m, 0)) for m in OVERVIEW_MEASURES}
    return OverviewRow(tier, tier_name, area_code, area_name, group, Measures(counts, deltas), is_total)
