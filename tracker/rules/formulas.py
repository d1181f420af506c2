"""Vectorised building blocks of the variables' formulas (variables.py): ratios, growth, CAGRs,
three-valued OR, window aggregates, award ranks and the SME size test.

Each follows the registry's conventions: a missing input gives NaN (missing is never zero), a zero
denominator and a non-positive growth base give NaN.
"""

from __future__ import annotations

import numpy as np

from .fields import AWARD_LEVELS, SECTORS


class ParameterError(ValueError):
    """Evaluation parameters (for example the SME size standards) are malformed."""


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # A zero denominator is "cannot be computed", not infinity.
    return num / np.where(den == 0, np.nan, den)


def growth(current: np.ndarray, base: np.ndarray) -> np.ndarray:
    # Growth over a non-positive base has no meaning; treat it as missing.
    return current / np.where(base > 0, base, np.nan) - 1.0


def cagr(current: np.ndarray, base: np.ndarray, years: int) -> np.ndarray:
    ratio = current / np.where(base > 0, base, np.nan)
    return np.power(np.where(ratio >= 0, ratio, np.nan), 1.0 / years) - 1.0


def kleene_or(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Three-valued OR of 0/1/NaN arrays: true if either is true, false if both are false."""
    out = np.where((a == 1) | (b == 1), 1.0, np.where((a == 0) & (b == 0), 0.0, np.nan))
    return out


def best_rank(ctx, min_level: str) -> np.ndarray:
    """Best (lowest) rank over Y, Y-1, Y-2 among awards of at least ``min_level``; +inf if none."""
    min_code = AWARD_LEVELS.index(min_level)
    best = None
    for k in (0, -1, -2):
        level, rank = ctx.metric("st_award_level", k), ctx.metric("st_award_rank", k)
        # Known level below the threshold: no qualifying award that year, whatever the rank says.
        year = np.where(level >= min_code, rank, np.where(level < min_code, np.inf, np.nan))
        best = year if best is None else np.minimum(best, year)  # np.minimum propagates NaN
    return best


_SIZE_CRITERIA = (("max_employees", "employees"), ("max_revenue", "revenue"),
                  ("max_total_assets", "total_assets"))


def sme_by_size_standard(ctx) -> np.ndarray:
    """SME when any applicable criterion of the sector's size standard is under its limit.

    A limit that is absent or null means the sector's standard has no such criterion (it cannot make
    the enterprise an SME); a sector absent from the size standards leaves the value missing.
    """
    standards = ctx.parameters.get("size_standards") or {}
    limits = {key: np.full(len(SECTORS), np.nan) for key, _ in _SIZE_CRITERIA}
    has_standard = np.zeros(len(SECTORS), dtype=bool)
    for sector, sector_limits in standards.items():
        if sector not in SECTORS:
            raise ParameterError(f'size_standards: unknown sector "{sector}"; expected one of '
                                 f'{", ".join(SECTORS)}')
        code = SECTORS.index(sector)
        has_standard[code] = True
        for key, _ in _SIZE_CRITERIA:
            if sector_limits.get(key) is not None:
                limits[key][code] = float(sector_limits[key])
    sector = ctx.attribute("sector")
    known = ~np.isnan(sector)
    codes = np.where(known, sector, 0).astype(np.int64)
    result = np.where(known & has_standard[codes], 0.0, np.nan)  # start from "false" and OR in
    for key, metric in _SIZE_CRITERIA:
        limit = np.where(known, limits[key][codes], np.nan)
        applies = ~np.isnan(limit)
        if not applies.any():
            continue
        value = ctx.metric(metric)
        under = np.where(applies, np.where(np.isnan(value), np.nan, (value < limit).astype(np.float64)), 0.0)
        result = kleene_or(result, under)
    return result


def max_over(ctx, field: str, offsets) -> np.ndarray:
    out = ctx.metric(field, offsets[0])
    for k in offsets[1:]:
        out = np.maximum(out, ctx.metric(field, k))
    return out


def sum_over(ctx, field: str, offsets) -> np.ndarray:
    out = ctx.metric(field, offsets[0])
    for k in offsets[1:]:
        out = out + ctx.metric(field, k)
    return out
