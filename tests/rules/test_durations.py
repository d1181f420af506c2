"""The one duration rule (docs/rules-format.md, "Durations"): exact calendar years, both sides of every edge."""

import datetime as dt

import numpy as np
import pytest

from tracker.rules.durations import add_years, day_of, end_of_year, start_of_year_count, years_between


def d(text: str) -> float:
    return day_of(dt.date.fromisoformat(text))


@pytest.mark.parametrize(("start", "end", "years"), [
    ("2015-06-01", "2025-06-01", 10),  # the tenth anniversary: exactly 10
    ("2015-06-01", "2025-05-31", 10 - 1 / 365),  # the day before
    ("2015-06-01", "2025-06-02", 10 + 1 / 365),  # the day after
    ("2015-06-01", "2026-05-01", 10 + 334 / 365),  # has not turned 11, but is past 10
    ("2016-02-29", "2017-02-28", 1),  # no 29 February: the anniversary is the month's last day
    ("2016-02-29", "2017-02-27", 364 / 365),
    ("2016-02-29", "2017-03-01", 1 + 1 / 365),
    ("2016-02-29", "2020-02-29", 4),  # a leap year again: the 29th itself
    ("2016-02-29", "2020-02-28", 3 + 365 / 366),
    ("2019-03-01", "2020-02-29", 365 / 366),
    ("2020-03-01", "2019-03-01", -1),
    ("2020-06-30", "2020-06-30", 0),
])
def test_years_between_counts_calendar_years_exactly(start, end, years):
    assert float(years_between(d(start), d(end))) == pytest.approx(years, abs=1e-12)


def test_years_between_is_missing_when_either_end_is():
    out = years_between(np.array([np.nan, d("2020-01-01")]), np.array([d("2025-01-01"), np.nan]))
    assert np.isnan(out).all()


@pytest.mark.parametrize(("start", "years", "end"), [
    ("2016-02-29", 1, "2017-02-28"), ("2016-02-29", 4, "2020-02-29"), ("2015-01-31", 10, "2025-01-31")])
def test_add_years_keeps_the_day_or_takes_the_months_last(start, years, end):
    assert float(add_years(d(start), years)) == d(end)


@pytest.mark.parametrize(("since", "year", "years"), [(2022, 2025, 3), (2023, 2025, 2), (2025, 2025, 0)])
def test_a_start_known_only_by_its_year_counts_from_the_first_whole_year(since, year, years):
    assert float(years_between(start_of_year_count(since), end_of_year(year))) == years


def test_the_end_of_a_year_is_the_next_new_years_day():
    assert float(end_of_year(2025)) == d("2026-01-01")
