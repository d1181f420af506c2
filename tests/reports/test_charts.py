"""The report's SVG charts: well-formed, with their Chinese labels escaped and a CJK font family."""

import xml.etree.ElementTree as ET

from tests.reports.frames import province_frame
from tracker.reports.charts import FONT, change_bars, report_charts, tier_pyramid, trend_lines

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [el.text for el in ET.fromstring(svg).iter(f"{SVG}text")]


def test_every_chart_is_well_formed_svg_in_a_cjk_font():
    for name, svg in report_charts(province_frame()).items():
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg", name
        assert root.get("font-family") == FONT
        assert "WenQuanYi Micro Hei" in FONT and "Noto Sans CJK SC" in FONT


def test_the_pyramid_has_a_panel_per_city_and_the_tiers_in_its_legend():
    labels = texts(tier_pyramid(province_frame()))
    assert {"南京市", "苏州市", "南通市"} <= set(labels)
    assert "专精特新“小巨人”企业" in labels
    assert "1,134" not in labels and "882" in labels  # 苏州: 420 × 2.1 innovative SMEs held
    assert "2,772" not in labels  # the total row is not a city


def test_the_change_chart_shows_signed_changes_and_the_previous_date():
    labels = texts(change_bars(province_frame()))
    assert "0（上期 2026-12-01）" in labels
    assert any(label.startswith(("+", "-")) for label in labels)


def test_a_first_report_has_no_change_to_show_and_says_so():
    assert "首期报告，暂无上期可比" in texts(change_bars(province_frame(first=True)))
    assert "报告不足两期，暂无走势" in texts(trend_lines(province_frame(first=True)))


def test_the_trend_draws_a_line_per_tier():
    root = ET.fromstring(trend_lines(province_frame()))
    assert len(root.findall(f"{SVG}polyline")) == 8
    assert "瞪羚企业" in texts(ET.tostring(root, encoding="unicode"))


def test_names_are_escaped():
    frame = province_frame()
    frame.scope.name = "苏州<script>&"
    for row in frame.overview_regions:
        if row.area_code == "320100":
            row.area_name = "A&B<市>"
    for svg in report_charts(frame).values():
        ET.fromstring(svg)  # would raise on an unescaped name
    assert "A&B<市>" in texts(tier_pyramid(frame))
