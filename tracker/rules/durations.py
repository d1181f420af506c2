"""Durations in years between two instants: the one rule every age, window and years-in-niche uses.

The rule (docs/rules-format.md, "Durations"):

* A period of n years from a start date ends on the same month and day n years later; when that day
  does not exist (29 February in a common year) it ends on the last day of that month. This is the
  calendar arithmetic of 《民法典》第二百零三条 ("没有对应日的，月末日为期间的最后一日").
* ``years_between(start, end)`` counts the whole years to the last anniversary on or before ``end``
  plus the fraction of the following year elapsed (days over that year's length). It is exactly n on
  the n-th anniversary, so "not more than 10 years" (``≤ 10``) holds up to and including the tenth
  anniversary and fails the day after, and "more than 5 years" (``> 5``) starts the day after the
  fifth anniversary.
* A start known only as a year (``niche_since``) counts from the first whole calendar year after it:
  the partial year of entry is not counted. "At the end of year Y" (上年末) is the instant
  (Y+1)-01-01 00:00. So entering a niche in 2022 gives 3 years at the end of 2025.

Dates travel as day numbers (days since 1970-01-01, float64 with NaN for missing), as in facts.py.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

_EPOCH = dt.date(1970, 1, 1)


def day_of(date: dt.date) -> float:
    """The day number of a date."""
    return float((date - _EPOCH).days)


def year_start(year) -> np.ndarray:
    """Day number of 1 January of ``year`` (an int or an array of years; NaN stays NaN)."""
    year = np.asarray(year, dtype=np.float64)
    missing = np.isnan(year)
    months = (np.where(missing, 1970, year).astype(np.int64) - 1970) * 12
    days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64).astype(np.float64)
    return np.where(missing, np.nan, days)


def end_of_year(year) -> np.ndarray:
    """The instant "at the end of ``year``" (上年末 for the assessment year): (year+1)-01-01."""
    return year_start(np.asarray(year, dtype=np.float64) + 1)


def start_of_year_count(year) -> np.ndarray:
    """Where a period known only by its starting year begins: the first whole year after it."""
    return year_start(np.asarray(year, dtype=np.float64) + 1)


def _split(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = days.astype(np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12
    day = (d - months.astype("datetime64[D]")).astype(np.int64)  # 0-based
    return year, month, day


def _join(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    months = ((year - 1970) * 12 + month).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    return (first + np.minimum(day, length - 1)).astype(np.int64).astype(np.float64)


def add_years(days, years) -> np.ndarray:
    """``days`` moved ``years`` whole years on (29 February → 28 February in a common year)."""
    days = np.asarray(days, dtype=np.float64)
    missing = np.isnan(days) | np.isnan(np.asarray(years, dtype=np.float64))
    year, month, day = _split(np.where(missing, 0.0, days))
    shift = np.where(missing, 0, np.asarray(years, dtype=np.float64)).astype(np.int64)
    return np.where(missing, np.nan, _join(year + shift, month, day))


def years_between(start, end) -> np.ndarray:
    """Years from ``start`` to ``end`` (day numbers, arrays or scalars): whole years to the last
    anniversary plus the elapsed fraction of the next; exact integers on anniversaries; NaN when
    either end is missing; negative when ``end`` is before ``start``."""
    start, end = np.broadcast_arrays(np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64))
    missing = np.isnan(start) | np.isnan(end)
    s = np.where(missing, 0.0, start)
    e = np.where(missing, 0.0, end)
    year, month, day = _split(s)  # split once: every anniversary below is built from these parts
    whole = _split(e)[0] - year
    whole = np.where(_join(year + whole, month, day) > e, whole - 1, whole)
    last = _join(year + whole, month, day)
    following = _join(year + whole + 1, month, day)
    years = whole + (e - last) / (following - last)
    return np.where(missing, np.nan, years)
