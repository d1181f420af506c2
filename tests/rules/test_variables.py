"""Derived variables: formulas, windows, and missing inputs (never zero)."""

import datetime as dt
import math

import pytest

from tracker.rules import VARIABLES, ParameterError
from tracker.rules.variables import VariableContext

from .builders import AS_OF, SIZE, facts


def value(name, row, *, as_of=AS_OF, parameters=SIZE):
    ctx = VariableContext(facts(row), fiscal_year=as_of.year - 1, as_of=as_of, parameters=parameters)
    v = float(ctx.value(name)[0])
    return None if math.isnan(v) else v


def test_every_variable_has_labels_a_kind_and_declared_inputs():
    for var in VARIABLES.values():
        assert var.label_zh and var.label_en and var.kind and var.inputs, var.name


def test_rd_ratio_divides_rd_expense_by_revenue_of_the_assessment_year():
    assert value("rd_ratio", {"rd_expense": 30, "revenue": 1000}) == pytest.approx(0.03)


def test_rd_ratio_with_zero_revenue_is_missing():
    assert value("rd_ratio", {"rd_expense": 30, "revenue": 0}) is None


def test_rd_ratio_with_missing_rd_expense_is_missing_not_zero():
    assert value("rd_ratio", {"revenue": 1000}) is None


def test_rd_ratio_min_2y_is_the_lower_of_the_two_years():
    row = {"rd_expense": {2025: 50, 2024: 20}, "revenue": {2025: 1000, 2024: 1000}}
    assert value("rd_ratio_min_2y", row) == pytest.approx(0.02)


def test_rd_ratio_min_2y_needs_both_years():
    assert value("rd_ratio_min_2y", {"rd_expense": 50, "revenue": 1000}) is None


def test_rd_expense_sum_and_average_over_two_years():
    row = {"rd_expense": {2025: 30, 2024: 10}}
    assert (value("rd_expense_sum_2y", row), value("rd_expense_avg_2y", row)) == (40, 20)


def test_main_business_share_and_growth():
    row = {"main_business_revenue": {2025: 110, 2024: 100}, "revenue": {2025: 200}}
    assert value("main_business_share", row) == pytest.approx(0.55)
    assert value("main_business_growth", row) == pytest.approx(0.10)


def test_growth_over_a_zero_base_is_missing():
    assert value("main_business_growth", {"main_business_revenue": {2025: 110, 2024: 0}}) is None


def test_main_business_growth_avg_2y_averages_two_yearly_growths():
    row = {"main_business_revenue": {2025: 121, 2024: 110, 2023: 100}}
    assert value("main_business_growth_avg_2y", row) == pytest.approx(0.10)


def test_revenue_cagr_over_3_years_reads_y_and_y_minus_3():
    row = {"revenue": {2025: 1331, 2022: 1000}}
    assert value("revenue_cagr_3y", row) == pytest.approx(0.10)
    assert VARIABLES["revenue_cagr_3y"].years(2025) == [2025, 2022]


def test_revenue_4y_ago_reads_y_minus_4():
    assert value("revenue_4y_ago", {"revenue": {2021: 7}}) == 7


def test_three_year_averages_need_all_three_years():
    assert value("revenue_avg_3y", {"revenue": {2025: 3, 2024: 6, 2023: 9}}) == 6
    assert value("revenue_avg_3y", {"revenue": {2025: 3, 2024: 6}}) is None


def test_debt_ratio_net_margin_and_rd_staff_ratio():
    row = {"total_liabilities": 55, "total_assets": 100, "net_profit": 8, "revenue": 100, "rd_staff": 5,
           "employees": 50}
    assert value("debt_ratio", row) == pytest.approx(0.55)
    assert value("net_margin", row) == pytest.approx(0.08)
    assert value("rd_staff_ratio", row) == pytest.approx(0.10)


def test_debt_ratio_with_zero_assets_is_missing():
    assert value("debt_ratio", {"total_liabilities": 5, "total_assets": 0}) is None


def test_years_in_niche_counts_full_years_to_the_end_of_the_assessment_year():
    assert value("years_in_niche", {"niche_since": 2023}) == 2  # Y = 2025


@pytest.mark.parametrize(("founded", "age"), [
    (dt.date(2016, 5, 1), 10), (dt.date(2016, 5, 2), 10 - 1 / 365), (dt.date(2016, 4, 30), 10 + 1 / 365),
    (dt.date(2026, 5, 1), 0)])
def test_company_age_is_the_exact_calendar_duration_to_as_of(founded, age):
    assert value("company_age", {"founded_on": founded}) == pytest.approx(age)  # as_of 2026-05-01


@pytest.mark.parametrize(("founded", "age"), [
    (dt.date(2021, 1, 1), 5), (dt.date(2020, 12, 31), 5 + 1 / 365), (dt.date(2025, 12, 31), 1 / 365)])
def test_company_age_at_the_end_of_the_year_is_measured_on_the_next_new_years_day(founded, age):
    assert value("company_age_end_of_year", {"founded_on": founded}) == pytest.approx(age)  # Y = 2025


@pytest.mark.parametrize(("niche_since", "years"), [(2022, 3), (2023, 2), (2025, 0), (2026, -1)])
def test_years_in_the_niche_do_not_count_the_year_of_entry(niche_since, years):
    assert value("years_in_niche", {"niche_since": niche_since}) == years  # at the end of Y = 2025


def test_equity_financing_windows_sum_two_and_three_years():
    row = {"equity_financing": {2025: 1, 2024: 2, 2023: 4}}
    assert (value("equity_financing_2y", row), value("equity_financing_3y", row)) == (3, 7)


@pytest.mark.parametrize(("employees", "revenue", "expected"), [
    (999, 5e8, 1.0), (1000, 3.99e8, 1.0), (1000, 4e8, 0.0), (None, 3e8, 1.0), (None, 5e8, None),
    (1000, None, None)])
def test_is_sme_when_either_size_criterion_is_under_its_limit(employees, revenue, expected):
    row = {"sector": "industry", "employees": employees, "revenue": revenue}
    assert value("is_sme", row) == expected


def test_is_sme_ignores_a_criterion_the_sector_does_not_have_and_reads_total_assets():
    row = {"sector": "construction", "employees": 5, "revenue": 9e8, "total_assets": 9e8}
    assert value("is_sme", row) == 0.0
    assert value("is_sme", {**row, "total_assets": 7e8}) == 1.0


def test_is_sme_is_missing_for_a_sector_without_a_size_standard():
    assert value("is_sme", {"sector": "retail", "employees": 5, "revenue": 1}) is None


def test_a_size_standard_for_an_unknown_sector_is_a_parameter_error():
    with pytest.raises(ParameterError):
        value("is_sme", {"sector": "industry"}, parameters={"size_standards": {"mining": {}}})


def test_best_award_level_over_three_years():
    row = {"st_award_level": {2025: "none", 2024: "national", 2023: "provincial"}}
    assert value("st_award_level_3y", row) == 2


def test_national_award_best_rank_ignores_provincial_awards():
    row = {"st_award_level": {2025: "provincial", 2024: "national", 2023: "none"},
           "st_award_rank": {2025: 1, 2024: 4}}
    assert value("national_award_best_rank_3y", row) == 4
    assert value("provincial_award_best_rank_3y", row) == 1


def test_no_qualifying_award_is_an_infinite_rank_not_missing():
    row = {"st_award_level": {2025: "none", 2024: "none", 2023: "provincial"}, "st_award_rank": {2023: 2}}
    assert value("national_award_best_rank_3y", row) == math.inf


def test_an_award_window_with_a_missing_year_is_missing():
    row = {"st_award_level": {2025: "none", 2024: "none"}}
    assert value("national_award_best_rank_3y", row) is None


def test_chuangke_rank_3y_is_the_best_result():
    row = {"chuangke_rank": {2025: "none", 2024: "top50", 2023: "top500"}}
    assert value("chuangke_rank_3y", row) == 2
