"""The tier report as an xlsx workbook: one sheet per section, in the official lists' columns.

Streams through ``tracker.xlsx.write_tables`` (openpyxl write-only): rows are generated one at a time
from the frame, so a province's lists of tens of thousands of rows never exist as cell objects. Every
sheet starts with the report's scope and dates (and the stale note), then a frozen, filtered header.

A gap's actual value and shortfall arrive formatted ("3,120.50万元", "2.8%"); the ones that are a plain
quantity become numbers with the matching number format, so staff can sort and filter on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from openpyxl.styles import Font, PatternFill

from tracker.reports.sections import OVERVIEW_MEASURES, CriterionGap, EnterpriseRef, ReportFrame
from tracker.xlsx import Styled, Table, write_tables

MEASURE_LABELS = {
    "held": "持有称号",
    "eligible": "当前符合",
    "candidates": "符合未认定",
    "at_risk": "认定但不符合",
    "near_miss": "接近达标",
    "insufficient": "待补数据",
    "review_due": "90日内到期复核",
    "expired": "期内到期",
}
BUCKET_LABELS = {"review_due": "到期复核", "expiring": "即将到期", "expired": "已过期"}
COUNT = "#,##0"
DELTA = "+#,##0;-#,##0;0"
WANYUAN = '#,##0.00"万元"'
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
TOTAL_FONT = Font(bold=True)
GAP_FILL = PatternFill("solid", fgColor="FDE2E1")
ENTERPRISE_HEADERS = ["企业名称", "统一社会信用代码", "设区市", "县(市、区)", "产业集群"]
ENTERPRISE_WIDTHS = [34, 22, 10, 12, 28]
GAP_HEADERS = ["条件", "实际值", "要求", "差距"]
FLIP_HEADERS = ["条件", "上期值", "本期值", "要求", "差距"]
# The rows of a report's area tables: a province's are its cities, a city's its counties (and 市本级).
AREA_HEADERS = {"province": "设区市", "city": "县(市、区)", "county": "县(市、区)"}
_QUANTITY = re.compile(r"^(?:差\s*)?([0-9][0-9,]*(?:\.[0-9]+)?)\s*(万元|%)$")


def quantity(text: str) -> tuple[object, str | None]:
    """"3,120.50万元" → (3120.5, 万元 format); "2.8%" → (0.028, %); anything else stays text."""
    match = _QUANTITY.match(text.strip()) if text else None
    if match is None:
        return (text or None), None
    number = float(match.group(1).replace(",", ""))
    return (number, WANYUAN) if match.group(2) == "万元" else (round(number / 100, 12), PERCENT)


def title_lines(frame: ReportFrame, section: str) -> list[str]:
    lines = [
        f"{frame.scope.name}梯度培育日报 · {section}",
        f"报告日期 {frame.report_date:%Y-%m-%d}；数据日期 {frame.data_date:%Y-%m-%d}；上期报告 "
        + (f"{frame.previous_report_date:%Y-%m-%d}" if frame.previous_report_date else "无（首期）"),
    ]
    if frame.stale:
        lines.append("数据来自上一次运行" + (f"：{frame.stale_reason}" if frame.stale_reason else ""))
    return lines


def _enterprise(ref: EnterpriseRef) -> list:
    return [ref.name, ref.uscc, ref.city, ref.county, ref.clusters]


def _gap_cells(gap: CriterionGap | None) -> tuple[list, dict[int, str]]:
    """The four gap columns, and the number formats of those that became numbers (offsets 0–3)."""
    if gap is None:
        return [None, None, None, None], {}
    actual, actual_fmt = quantity(gap.actual)
    shortfall, shortfall_fmt = quantity(gap.shortfall)
    formats = {k: f for k, f in ((1, actual_fmt), (3, shortfall_fmt)) if f}
    return [gap.criterion, actual, gap.required, shortfall], formats


def _flip_cells(gap: CriterionGap | None) -> tuple[list, dict[int, str]]:
    """A flipped criterion's five columns (条件, 上期值, 本期值, 要求, 差距) and their number formats."""
    if gap is None:
        return [None] * 5, {}
    cells, formats = [gap.criterion], {}
    for offset, text in ((1, gap.before), (2, gap.actual)):
        value, number_format = quantity(text)
        cells.append(value)
        if number_format:
            formats[offset] = number_format
    shortfall, shortfall_fmt = quantity(gap.shortfall)
    if shortfall_fmt:
        formats[4] = shortfall_fmt
    return [*cells, gap.required, shortfall], formats


def _gap_row(values: list, formats: dict[int, str], offset: int) -> Styled | list:
    if not formats:
        return values
    return Styled(values, number_formats={offset + k: f for k, f in formats.items()})


def overview_region_rows(frame: ReportFrame) -> Iterator:
    for row in frame.overview_regions:
        values = [row.tier_name, row.area_name]
        for measure in OVERVIEW_MEASURES:
            values += [row.measures.counts.get(measure), row.measures.deltas.get(measure)]
        yield Styled(values, font=TOTAL_FONT) if row.is_total else values


def overview_cluster_rows(frame: ReportFrame) -> Iterator:
    for row in frame.overview_clusters:
        values = [row.tier_name, row.group, row.area_name]
        for measure in OVERVIEW_MEASURES:
            values += [row.measures.counts.get(measure), row.measures.deltas.get(measure)]
        yield Styled(values, font=TOTAL_FONT) if row.is_total else values


def _numbered_once(number: int, head: list, first: bool) -> list:
    """A list entry spans one row per criterion: its 序号 is on the first row only, so the numbers count
    the entries; the other columns repeat, so that a filter or a sort keeps each row whole."""
    return [number if first else None, *head]


def change_rows(frame: ReportFrame) -> Iterator:
    for number, change in enumerate(frame.changes, start=1):
        head = [*_enterprise(change.enterprise), change.tier_name, change.cluster, change.change_label,
                change.status_before, change.status_after]
        for i, gap in enumerate(change.flipped or [None]):
            cells, formats = _flip_cells(gap)
            yield _gap_row(_numbered_once(number, head, i == 0) + cells, formats, len(head) + 1)


def near_miss_rows(frame: ReportFrame) -> Iterator:
    for number, miss in enumerate(frame.near_misses, start=1):
        head = [*_enterprise(miss.enterprise), miss.tier_name, miss.cluster, miss.distance]
        for i, gap in enumerate(miss.lacks or [None]):
            cells, formats = _gap_cells(gap)
            tail = [] if gap is None else ["是" if gap.actionable else "否", gap.when]
            yield _gap_row(_numbered_once(number, head, i == 0) + cells + tail, formats, len(head) + 1)


def coverage_rows(frame: ReportFrame) -> Iterator:
    for row in frame.coverage:
        values = [row.group, row.cluster_name, row.segment or "（集群合计）", row.chain_leader, row.little_giants,
                  row.single_champions, row.specialized, "空白" if row.highlight else ""]
        yield Styled(values, fill=GAP_FILL) if row.highlight else values


def to_collect_city_rows(frame: ReportFrame) -> Iterator:
    for city in frame.to_collect_cities:
        for rank, fact in enumerate(city.top_missing or [None], start=1):
            yield [city.area_name, city.enterprises, rank if fact else None, fact.fact if fact else None,
                   fact.enterprises if fact else None]


def to_collect_rows(frame: ReportFrame) -> Iterator:
    for number, row in enumerate(frame.to_collect, start=1):
        yield [number, *_enterprise(row.enterprise), row.tiers, row.missing]


def designation_rows(frame: ReportFrame) -> Iterator:
    for number, row in enumerate(frame.designations, start=1):
        yield [number, *_enterprise(row.enterprise), row.tier_name, row.batch, row.document_no, row.recognized_on,
               row.valid_until, row.status, BUCKET_LABELS.get(row.bucket, row.bucket)]


def _with_truncation(rows: Iterator, frame: ReportFrame, section: str) -> Iterator:
    yield from rows
    left_out = frame.truncated.get(section)
    if left_out:
        yield [f"另有 {left_out:,} 行未列入本报告"]


def _measure_headers() -> list[str]:
    return [h for m in OVERVIEW_MEASURES for h in (MEASURE_LABELS[m], f"{MEASURE_LABELS[m]}较上期")]


def _measure_formats(start: int) -> dict[int, str]:
    return {start + i: COUNT if i % 2 == 0 else DELTA for i in range(2 * len(OVERVIEW_MEASURES))}


def report_tables(frame: ReportFrame) -> list[Table]:
    """The workbook's sheets, each a streaming table over the frame."""
    measures = _measure_headers()
    area = AREA_HEADERS.get(frame.scope.level, "地区")
    listed = {"freeze_header": True, "autofilter": True}
    return [
        Table("总览-地区", ["层级", "地区", *measures], overview_region_rows(frame),
              widths=[22, 12, *[11] * len(measures)], title_lines=title_lines(frame, "总览（层级×地区）"),
              number_formats=_measure_formats(2), **listed),
        Table("总览-集群", ["层级", "集群分组", "产业集群", *measures], overview_cluster_rows(frame),
              widths=[22, 12, 24, *[11] * len(measures)], title_lines=title_lines(frame, "总览（层级×产业集群）"),
              number_formats=_measure_formats(3), **listed),
        Table("变化", ["序号", *ENTERPRISE_HEADERS, "层级", "链主所在集群", "变化", "原结论", "新结论", *FLIP_HEADERS],
              _with_truncation(change_rows(frame), frame, "changes"),
              widths=[6, *ENTERPRISE_WIDTHS, 22, 16, 6, 8, 8, 28, 16, 16, 18, 16],
              title_lines=title_lines(frame, "较上期变化（条件：上期值 → 本期值）"), text_columns=[2],
              number_formats={0: COUNT}, **listed),
        Table("接近达标",
              ["序号", *ENTERPRISE_HEADERS, "层级", "链主所在集群", "差距指数", *GAP_HEADERS, "可通过努力改善", "说明"],
              _with_truncation(near_miss_rows(frame), frame, "near_misses"),
              widths=[6, *ENTERPRISE_WIDTHS, 22, 16, 10, 24, 16, 16, 16, 10, 18],
              title_lines=title_lines(frame, "接近达标（按层级，差距由小到大）"), text_columns=[2],
              number_formats={0: COUNT, 8: PERCENT}, **listed),
        Table("集群覆盖",
              ["集群分组", "产业集群", "产业链环节", "链主企业", "小巨人企业", "单项冠军企业", "专精特新企业", "空白"],
              coverage_rows(frame), widths=[12, 24, 16, 10, 10, 12, 12, 8],
              title_lines=title_lines(frame, "集群覆盖（空白环节已标红）"),
              number_formats=dict.fromkeys(range(3, 7), COUNT), **listed),
        Table("待补数据", ["序号", *ENTERPRISE_HEADERS, "涉及层级", "待补指标"],
              _with_truncation(to_collect_rows(frame), frame, "to_collect"),
              widths=[6, *ENTERPRISE_WIDTHS, 28, 36], title_lines=title_lines(frame, "待补数据企业名单"),
              text_columns=[2], number_formats={0: COUNT}, **listed),
        Table("待补数据-汇总", [area, "待补数据企业数", "排名", "最常缺少的指标", "缺少该指标的企业数"],
              to_collect_city_rows(frame), widths=[12, 14, 6, 28, 18],
              title_lines=title_lines(frame, f"待补数据（按{area}汇总）"),
              number_formats={1: COUNT, 4: COUNT}, **listed),
        Table("认定到期", ["序号", *ENTERPRISE_HEADERS, "层级", "批次", "文号", "认定日期", "有效期至", "状态", "类别"],
              _with_truncation(designation_rows(frame), frame, "designations"),
              widths=[6, *ENTERPRISE_WIDTHS, 22, 14, 26, 12, 12, 8, 10],
              title_lines=title_lines(frame, "认定到期（复核、到期、已过期）"), text_columns=[2],
              number_formats={0: COUNT, 9: DATE, 10: DATE}, **listed),
    ]


def render_xlsx(frame: ReportFrame, fileobj) -> None:
    """Write the report's workbook to a binary file object (or a path)."""
    write_tables(report_tables(frame), fileobj)
