"""The report workbook, opened back with openpyxl: its sheets, headers, frozen panes, filters, number
formats and values, and a long list streamed at low memory."""

import io
import tracemalloc

from openpyxl import load_workbook

from tests.reports.frames import city_frame, long_frame, province_frame
from tracker.reports.xlsx import PERCENT, WANYUAN, quantity, render_xlsx

SHEETS = ["总览-地区", "总览-集群", "变化", "接近达标", "集群覆盖", "待补数据", "待补数据-汇总", "认定到期"]
OFFICIAL = ["序号", "企业名称", "统一社会信用代码", "设区市", "县(市、区)", "产业集群", "层级"]


def workbook(frame):
    buffer = io.BytesIO()
    render_xlsx(frame, buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def header(sheet, row):
    return [cell.value for cell in sheet[row]]


def test_it_has_one_sheet_per_section_with_the_scope_and_dates_on_top():
    book = workbook(province_frame())
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet["A1"].value.startswith("江苏省梯度培育日报")
        assert "数据日期 2026-12-01" in sheet["A2"].value
        assert sheet.freeze_panes == "A4"  # two title lines, the header on row 3
        assert sheet.auto_filter.ref.startswith("A3:")


def test_a_stale_report_says_its_data_comes_from_the_previous_run():
    book = workbook(province_frame(stale=True))
    sheet = book["变化"]
    assert sheet["A3"].value.startswith("数据来自上一次运行")
    assert sheet.freeze_panes == "A5"


def test_lists_use_the_official_columns():
    book = workbook(province_frame())
    assert header(book["认定到期"], 3) == [*OFFICIAL, "批次", "文号", "认定日期", "有效期至", "状态", "类别"]
    assert header(book["接近达标"], 3)[:7] == OFFICIAL
    assert header(book["接近达标"], 3)[7:13] == ["链主所在集群", "差距指数", "条件", "实际值", "要求", "差距"]
    assert header(book["变化"], 3)[-5:] == ["条件", "上期值", "本期值", "要求", "差距"]


def test_the_overview_holds_counts_and_changes_with_totals_in_bold():
    frame = province_frame()
    sheet = workbook(frame)["总览-地区"]
    first = frame.overview_regions[0]
    assert [c.value for c in sheet[4]][:4] == [first.tier_name, first.area_name, first.measures.counts["held"],
                                              first.measures.deltas["held"]]
    assert sheet["C4"].number_format == "#,##0"
    assert sheet["D4"].number_format == "+#,##0;-#,##0;0"
    total = next(i for i, row in enumerate(frame.overview_regions) if row.is_total) + 4
    assert sheet.cell(total, 2).value == "合计" and sheet.cell(total, 2).font.bold


def test_a_first_report_leaves_the_change_empty_not_zero():
    sheet = workbook(province_frame(first=True))["总览-地区"]
    assert sheet["C4"].value is not None
    assert sheet["D4"].value is None


def test_money_and_ratios_of_a_gap_are_numbers_in_wanyuan_and_percent():
    sheet = workbook(province_frame())["接近达标"]
    row = next(r for r in sheet.iter_rows(min_row=4) if r[9].value == "上年度营业收入")
    assert row[10].value == 3120.5 and row[10].number_format == WANYUAN
    assert row[12].value == 1879.5 and row[12].number_format == WANYUAN
    assert row[11].value == "≥ 5,000.00万元"  # a requirement stays as written
    assert row[8].number_format == PERCENT
    unknown = next(r for r in sheet.iter_rows(min_row=4) if r[9].value == "主导产品细分市场占有率")
    assert unknown[10].value == "缺数据" and unknown[12].value is None


def test_a_chain_leader_near_miss_names_its_cluster_and_its_rank_against_the_bar():
    sheet = workbook(province_frame())["接近达标"]
    row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[9] == "集群内营业收入排名前三")
    assert row[6:8] == ("链主企业", "集成电路产业集群")
    assert row[10:13] == ("4", "≤ 3", "超 1")


def test_a_change_shows_each_flipped_criterion_before_and_after_and_is_numbered_once():
    frame = province_frame()
    sheet = workbook(frame)["变化"]
    rows = list(sheet.iter_rows(min_row=4))
    # One row per flipped criterion; the number only on a change's first row, the enterprise on every row.
    assert len(rows) == sum(len(c.flipped) for c in frame.changes)
    assert [r[0].value for r in rows if r[0].value is not None] == list(range(1, len(frame.changes) + 1))
    first, second = rows[0], rows[1]
    assert frame.changes[0].flipped[1].criterion == second[11].value and second[0].value is None
    assert second[1].value == first[1].value == frame.changes[0].enterprise.name
    assert [c.value for c in first[9:11]] == ["不符合", "符合"]  # the verdicts: 原结论, 新结论
    assert first[11].value == "上年度营业收入"
    assert first[12].value == 4210.0 and first[12].number_format == WANYUAN  # 上期值
    assert first[13].value == 5360.25 and first[13].number_format == WANYUAN  # 本期值
    assert first[14].value == "≥ 5,000.00万元"
    assert [c.value for c in second[12:14]] == ["未达标", "达标"]  # a criterion without a value: its verdict
    lost = next(r for r in rows if r[8].value == "失去")
    assert lost[12].value == 0.034 and lost[13].value == 0.028 and lost[13].number_format == PERCENT


def test_the_near_misses_are_numbered_once_per_enterprise_and_tier():
    frame = province_frame()
    rows = list(workbook(frame)["接近达标"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == sum(len(m.lacks) for m in frame.near_misses)
    assert [r[0] for r in rows if r[0] is not None] == list(range(1, len(frame.near_misses) + 1))


def test_the_data_to_collect_summary_is_by_city_in_the_province_and_by_county_in_a_city():
    province, city = workbook(province_frame())["待补数据-汇总"], workbook(city_frame())["待补数据-汇总"]
    assert header(province, 3)[0] == "设区市" and "按设区市汇总" in province["A1"].value
    assert header(city, 3)[0] == "县(市、区)" and "按县(市、区)汇总" in city["A1"].value


def test_quantity_reads_only_plain_amounts():
    assert quantity("3,120.50万元") == (3120.5, WANYUAN)
    assert quantity("差 1,879.50万元") == (1879.5, WANYUAN)
    assert quantity("2.8%") == (0.028, PERCENT)
    assert quantity("缺数据") == ("缺数据", None)
    assert quantity("") == (None, None)


def test_designation_dates_are_dates_and_a_missing_date_stays_empty():
    sheet = workbook(province_frame())["认定到期"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0][9].year == 2023 and sheet["K4"].number_format == "yyyy-mm-dd"
    assert rows[4][9] is None and rows[4][10] is None
    assert rows[0][8].startswith("苏工信中小〔2023〕")


def test_an_empty_cluster_segment_is_highlighted():
    sheet = workbook(province_frame())["集群覆盖"]
    gaps = [row for row in sheet.iter_rows(min_row=4) if row[7].value == "空白"]
    assert gaps and all(row[0].fill.fgColor.rgb.endswith("FDE2E1") for row in gaps)


def test_a_capped_list_says_how_many_rows_are_left_out():
    frame = province_frame()
    frame.truncated = {"designations": 12_345}
    sheet = workbook(frame)["认定到期"]
    assert sheet.cell(sheet.max_row, 1).value == "另有 12,345 行未列入本报告"


def peak_memory(frame, path) -> int:
    tracemalloc.start()
    render_xlsx(frame, path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_a_long_list_streams_its_memory_does_not_grow_with_the_rows(tmp_path):
    short, long = long_frame(200), long_frame(1_200)  # built before measuring: the frame is the caller's
    small = peak_memory(short, tmp_path / "short.xlsx")
    large = peak_memory(long, tmp_path / "long.xlsx")
    # Six times the rows: a workbook held in memory would need about six times the memory.
    assert large < 1.5 * small, (small, large)
    sheet = load_workbook(tmp_path / "long.xlsx", read_only=True)["待补数据"]
    assert sum(1 for _row in sheet.iter_rows(min_row=4, values_only=True)) == 1_200


def test_control_characters_in_names_do_not_break_the_workbook():
    # Names typed with a control character (the API's fuzzing made a tier "\x0e"): openpyxl refuses the
    # whole workbook over one, which made the report's download a 500.
    frame = province_frame()
    frame.scope.name = "江苏\x0e省"
    frame.tiers = [(code, f"{name}\x16") for code, name in frame.tiers]
    book = workbook(frame)
    assert book["总览-地区"]["A1"].value.startswith("江苏\ufffd省")
    assert any("\ufffd" in str(cell.value) for row in book["总览-地区"].iter_rows() for cell in row)
