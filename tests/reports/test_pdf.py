"""The report's PDF read back with poppler: Chinese text (not boxes), an embedded CJK font, the scope and
data date on every page, page numbers, and long lists capped with a pointer to the xlsx."""

import subprocess

import pytest

from tests.reports.frames import city_frame, long_frame, province_frame
from tracker.reports.pdf import render_pdf


def pdftotext(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return out.split("\f")[:-1]


@pytest.fixture(scope="module")
def stale_pdf():
    return render_pdf(province_frame(stale=True))


def test_it_is_text_in_chinese_with_the_scope_and_a_tier(stale_pdf, tmp_path):
    text = "".join(pdftotext(stale_pdf, tmp_path))
    assert "江苏省梯度培育日报" in text
    assert "专精特新中小企业" in text
    assert "苏州市" in text
    # A name wraps within its column (fixed widths): read in drawing order, its lines follow each other.
    path = tmp_path / "raw.pdf"
    path.write_bytes(stale_pdf)
    raw = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    assert "南京恒瑞科技有限公司" in raw.replace(" ", "").replace("\n", "")


def test_every_page_has_the_scope_the_data_date_a_page_number_and_the_stale_note(stale_pdf, tmp_path):
    pages = pdftotext(stale_pdf, tmp_path)
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert "江苏省梯度培育日报（全省）" in page, number
        assert "数据日期 2026-11-30" in page, number
        assert f"第 {number} 页，共 {len(pages)} 页" in page, number
        assert "数据来自上一次运行" in page, number


def test_the_cjk_font_is_embedded(stale_pdf, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(stale_pdf)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert rows and all(" yes yes yes " in row for row in rows), fonts


def test_a_long_list_is_capped_with_the_count_left_for_the_xlsx(tmp_path):
    frame = long_frame(30)
    frame.truncated = {"designations": 1_000}
    text = "".join(pdftotext(render_pdf(frame, cap=10), tmp_path)).replace(" ", "")
    assert "另有20家企业未列出，完整名单见xlsx文件。" in text  # near misses: 30 − 10
    assert "另有1,020条认定未列出" in text  # 20 more in the frame, 1,000 the frame left out itself


def test_a_city_report_shows_the_changes_before_and_after_and_its_counties_as_rows(tmp_path):
    path = tmp_path / "city.pdf"
    path.write_bytes(render_pdf(city_frame()))
    raw = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                         text=True).stdout  # in reading order: a cell's lines follow each other
    lines = raw.splitlines()
    assert "一、总览（层级 × 县(市、区)）" in lines
    text = "".join(raw.split())  # a cell's text may wrap in its fixed-width column
    assert "上年度营业收入：4,210.00万元→5,360.25万元（要求" in text
    assert "县(市、区)待补数据企业数最常缺少的指标（企业数）" in text  # the summary's rows are the counties
    assert "研发费用占营业收入比重：3.4%→2.8%（要求≥3.0%）" in text
    assert "链主企业（集成电路产业集群）" in text  # a chain leader's near miss names the cluster of its rank
