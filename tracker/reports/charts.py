"""The report's charts as server-side SVG: no JavaScript, no CDN, the same markup in the admin and the PDF.

Pure functions of a ``ReportFrame`` returning an SVG string. Every text is escaped; Chinese labels use
the CJK font family the set-up installs (fonts-wqy-microhei), so a chart never shows boxes. Scales are
linear and every bar or line carries its number: a small tier (独角兽: 2) next to a large one (创新型: 3,000)
has a thin bar but an exact label.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape, quoteattr

from tracker.reports.sections import OverviewRow, ReportFrame

FONT = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif"
INK, MUTED, GRID = "#1f2933", "#6b7785", "#d9dee3"
GAIN, LOSS = "#2e7d32", "#c62828"
# One colour per tier, in ladder order (colour-blind-safe palette of Okabe and Ito, then greys).
PALETTE = ["#0072B2", "#009E73", "#E69F00", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#7f7f7f", "#333333"]


def tier_colours(frame: ReportFrame) -> dict[str, str]:
    return {code: PALETTE[i % len(PALETTE)] for i, (code, _name) in enumerate(frame.tiers)}


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _signed(value: int | None) -> str:
    return "—" if value is None else "±0" if value == 0 else f"{value:+,}"


class _Svg:
    """Collects elements; ``str()`` closes the document with its size."""

    def __init__(self, width: int, height: int, title: str):
        self.width, self.height, self.title, self.parts = width, height, title, []

    def text(self, x: float, y: float, value: str, *, size: int = 12, anchor: str = "start", fill: str = INK,
             weight: str = "normal") -> None:
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
            f' font-weight="{weight}">{escape(value)}</text>'
        )

    def rect(self, x: float, y: float, w: float, h: float, fill: str, label: str = "") -> None:
        tip = f"<title>{escape(label)}</title>" if label else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}">'
                          f"{tip}</rect>")

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = GRID, width: float = 1) -> None:
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"'
                          f' stroke-width="{width}"/>')

    def polyline(self, points: list[tuple[float, float]], stroke: str) -> None:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.parts.append(f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="2"/>')

    def __str__(self) -> str:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{self.width}" height="{self.height}"'
            f' viewBox="0 0 {self.width} {self.height}" font-family={quoteattr(FONT)}'
            f" aria-label={quoteattr(self.title)}><title>{escape(self.title)}</title>{''.join(self.parts)}</svg>"
        )


def _empty(title: str, message: str, width: int = 640) -> str:
    svg = _Svg(width, 60, title)
    svg.text(width / 2, 36, message, size=13, anchor="middle", fill=MUTED)
    return str(svg)


def _areas(rows: list[OverviewRow]) -> list[tuple[str, dict[str, OverviewRow]]]:
    """The region table's rows by area, in the frame's order, without the total rows."""
    areas: dict[str, dict[str, OverviewRow]] = {}
    names: dict[str, str] = {}
    for row in rows:
        if row.is_total:
            continue
        areas.setdefault(row.area_code, {})[row.tier_code] = row
        names[row.area_code] = row.area_name
    return [(names[code], tiers) for code, tiers in areas.items()]


def tier_pyramid(frame: ReportFrame, *, columns: int = 4) -> str:
    """One small pyramid per city (or county): a centred bar per tier, the ladder's base at the bottom.

    All panels share one scale, so a city's pyramid can be compared with its neighbours'."""
    title = f"{frame.scope.name}各地区梯度金字塔（持有称号企业数）"
    areas = _areas(frame.overview_regions)
    if not areas:
        return _empty(title, "暂无数据")
    tiers = list(reversed(frame.tiers))  # the top of the ladder on top
    colours = tier_colours(frame)
    top = max((row.measures.counts.get("held", 0) for _a, by_tier in areas for row in by_tier.values()), default=0)
    panel_w, bar_h, gap, head = 250, 14, 4, 26
    panel_h = head + len(tiers) * (bar_h + gap) + 10
    columns = max(1, min(columns, len(areas)))
    rows = -(-len(areas) // columns)
    legend_h = 22 * -(-len(tiers) // 4) + 8
    svg = _Svg(columns * panel_w, rows * panel_h + legend_h, title)
    half = (panel_w - 70) / 2  # the bar's half-width at the largest count; room for the number
    for index, (area_name, by_tier) in enumerate(areas):
        x0, y0 = (index % columns) * panel_w, (index // columns) * panel_h
        centre = x0 + 10 + half
        svg.text(centre, y0 + 16, area_name, size=13, anchor="middle", weight="bold")
        for t, (code, name) in enumerate(tiers):
            row = by_tier.get(code)
            held = row.measures.counts.get("held") if row else None
            y = y0 + head + t * (bar_h + gap)
            w = 0 if not held or not top else max(1.5, half * held / top)
            svg.rect(centre - w, y, 2 * w, bar_h, colours[code], f"{area_name} {name}：{_number(held)}")
            svg.text(centre + w + 4, y + bar_h - 3, _number(held), size=11, fill=MUTED)
    _legend(svg, frame, rows * panel_h + 4)
    return str(svg)


def _legend(svg: _Svg, frame: ReportFrame, y: float) -> None:
    colours = tier_colours(frame)
    slot = svg.width / 4
    for i, (code, name) in enumerate(frame.tiers):
        x, yy = (i % 4) * slot + 10, y + (i // 4) * 22
        svg.rect(x, yy + 4, 12, 12, colours[code])
        svg.text(x + 18, yy + 15, name, size=12)


def change_bars(frame: ReportFrame) -> str:
    """Change since the previous report per tier: held and eligible, bars to the right for gains."""
    title = f"{frame.scope.name}较上期变化（持有称号、当前符合）"
    totals = [row for row in frame.overview_regions if row.is_total]
    if frame.previous_report_date is None or not totals:
        return _empty(title, "首期报告，暂无上期可比")
    measures = [("held", "持有称号", "#0072B2"), ("eligible", "当前符合", "#E69F00")]
    label_w, bar_h, width = 190, 12, 640
    row_h = len(measures) * (bar_h + 3) + 10
    deltas = [row.measures.deltas.get(m) for row in totals for m, _l, _c in measures]
    span = max((abs(d) for d in deltas if d is not None), default=0) or 1
    half = (width - label_w - 110) / 2
    zero = label_w + 55 + half
    svg = _Svg(width, 34 + len(totals) * row_h + 26, title)
    svg.line(zero, 24, zero, 28 + len(totals) * row_h, stroke=MUTED)
    svg.text(zero, 16, f"0（上期 {frame.previous_report_date:%Y-%m-%d}）", size=11, anchor="middle", fill=MUTED)
    for r, row in enumerate(totals):
        y = 30 + r * row_h
        svg.text(label_w - 8, y + bar_h + 2, row.tier_name, size=12, anchor="end")
        for m, (measure, label, colour) in enumerate(measures):
            delta = row.measures.deltas.get(measure)
            yy = y + m * (bar_h + 3)
            w = 0 if not delta else max(1.5, half * abs(delta) / span)
            x = zero if (delta or 0) >= 0 else zero - w
            svg.rect(x, yy, w, bar_h, colour, f"{row.tier_name} {label}：{_signed(delta)}")
            tip_x = zero + w + 4 if (delta or 0) >= 0 else zero - w - 4
            fill = MUTED if not delta else GAIN if delta > 0 else LOSS
            svg.text(tip_x, yy + bar_h - 2, _signed(delta), size=11, anchor="start" if (delta or 0) >= 0 else "end",
                     fill=fill)
    y = 34 + len(totals) * row_h
    for m, (_measure, label, colour) in enumerate(measures):
        svg.rect(label_w + m * 120, y, 12, 12, colour)
        svg.text(label_w + m * 120 + 18, y + 11, label, size=12)
    return str(svg)


def trend_lines(frame: ReportFrame, *, columns: int = 4) -> str:
    """Held per tier over the last reports: one small panel per tier with its own scale (the tiers differ
    a thousandfold), the first and last values written out."""
    title = f"{frame.scope.name}近{len(frame.trend)}期持有称号企业数走势"
    points = sorted(frame.trend, key=lambda item: item[0])
    if len(points) < 2:
        return _empty(title, "报告不足两期，暂无走势")
    colours = tier_colours(frame)
    panel_w, panel_h, pad = 200, 110, 14
    columns = max(1, min(columns, len(frame.tiers)))
    rows = -(-len(frame.tiers) // columns)
    svg = _Svg(columns * panel_w, rows * panel_h + 22, title)
    first_day, last_day = points[0][0], points[-1][0]
    span_days = (last_day - first_day).days or 1
    for i, (code, name) in enumerate(frame.tiers):
        x0, y0 = (i % columns) * panel_w, (i // columns) * panel_h
        values = [(day, counts.get(code)) for day, counts in points]
        known = [v for _d, v in values if v is not None]
        svg.text(x0 + pad, y0 + 16, name, size=12, weight="bold")
        if not known:
            svg.text(x0 + pad, y0 + 50, "无数据", size=11, fill=MUTED)
            continue
        low, high = min(known), max(known)
        spread = (high - low) or 1
        left, right, top, bottom = x0 + pad, x0 + panel_w - pad - 44, y0 + 28, y0 + panel_h - 22
        svg.line(left, bottom, right, bottom)
        line = [(left + (right - left) * (day - first_day).days / span_days,
                 bottom - (bottom - top) * (value - low) / spread) for day, value in values if value is not None]
        svg.polyline(line, colours[code])
        svg.text(right + 4, line[-1][1] + 4, _number(known[-1]), size=11, fill=INK)
        svg.text(left, bottom + 14, f"{_number(known[0])}", size=10, fill=MUTED)
        svg.text(right, bottom + 14, _signed(known[-1] - known[0]), size=10, anchor="end",
                 fill=GAIN if known[-1] > known[0] else LOSS if known[-1] < known[0] else MUTED)
    svg.text(10, rows * panel_h + 14, f"{_day(first_day)} 至 {_day(last_day)}；左下为首期数，右下为期间变化",
             size=11, fill=MUTED)
    return str(svg)


def _day(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def report_charts(frame: ReportFrame) -> dict[str, str]:
    """The three charts the report page, the dashboard and the PDF show."""
    return {"pyramid": tier_pyramid(frame), "changes": change_bars(frame), "trend": trend_lines(frame)}
