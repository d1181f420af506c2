"""Cross-field rules of a model, written once and checked on one row or on whole columns.

``Model.clean()`` checks one instance; the Excel importer checks a hundred thousand rows at once. Both
call :func:`violations` with the same rules, so a rule cannot drift between the admin, the API and an
import. A rule's predicate is written over NumPy columns (one element per row): numbers as float with
NaN for missing, dates as ``datetime64[D]`` with NaT, everything else as an object array with None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _

Columns = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class RowRule:
    """``violated(columns)`` is True where the row breaks the rule; it is asked only where every field
    in ``needs`` is present (missing is not a violation: missing data is reported elsewhere)."""

    field: str
    message: str
    reads: tuple[str, ...]
    violated: Callable[[Columns], np.ndarray]
    needs: tuple[str, ...] = ()


def present(column: np.ndarray) -> np.ndarray:
    """Where a column has a value."""
    if column.dtype.kind == "f":
        return ~np.isnan(column)
    if column.dtype.kind == "M":
        return ~np.isnat(column)
    return np.not_equal(column, None)


def year_of(dates: np.ndarray) -> np.ndarray:
    """The calendar year of a datetime64 column (meaningless where NaT: guard with ``needs``)."""
    return dates.astype("datetime64[Y]").astype(np.int64) + 1970


def column(values: Iterable) -> np.ndarray:
    """A column in the rules' form from Python values (None for missing)."""
    values = list(values)
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool) or sample is None or isinstance(sample, str):
        return np.array(values, dtype=object)
    if isinstance(sample, dt.date):
        return np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values])
    if isinstance(sample, int | float | Decimal):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.array(values, dtype=object)


def violations(rules: Iterable[RowRule], columns: Columns) -> list[tuple[RowRule, np.ndarray]]:
    """Each rule with the boolean mask of the rows that break it (rules no row breaks are left out)."""
    found = []
    for rule in rules:
        applies = np.ones(len(columns[rule.reads[0]]), dtype=bool)
        for name in rule.needs:
            applies &= present(columns[name])
        if not applies.any():
            continue
        with np.errstate(invalid="ignore"):
            broken = applies & np.asarray(rule.violated(columns), dtype=bool)
        if broken.any():
            found.append((rule, broken))
    return found


def plausible_dates(*, years_ahead_setting: str = "DATES_YEARS_AHEAD") -> tuple[dt.date, dt.date]:
    """The dates staff can mean: from ``TIDU["EARLIEST_DATE"]`` (2000-01-01: the programme's oldest
    lists are later) to today plus ``TIDU[years_ahead_setting]`` years (a validity runs a few years)."""
    from django.conf import settings
    from django.utils import timezone

    earliest = dt.date.fromisoformat(str(settings.TIDU.get("EARLIEST_DATE", "2000-01-01")))
    today = timezone.localdate()
    years = int(settings.TIDU.get(years_ahead_setting, 10))
    try:
        latest = today.replace(year=today.year + years)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + years, day=28)
    return earliest, latest


def _range_message(label) -> str:
    earliest, latest = plausible_dates()
    return _("%(label)s应在 %(earliest)s 至 %(latest)s 之间；请检查是否输入有误。") % {
        "label": label,
        "earliest": earliest.isoformat(),
        "latest": latest.isoformat(),
    }


def plausible_date_rule(field: str, label) -> RowRule:
    """A date column outside ``plausible_dates()`` (1800-01-01, 9999-12-31: typing errors)."""

    def violated(c: Columns) -> np.ndarray:
        earliest, latest = plausible_dates()
        return (c[field] < np.datetime64(earliest, "D")) | (c[field] > np.datetime64(latest, "D"))

    return RowRule(field, lazy(_range_message, str)(label), reads=(field,), needs=(field,), violated=violated)


def check_instance(rules: Iterable[RowRule], instance) -> None:
    """Raise the ValidationError ``clean()`` would: {field: [messages]} for the rules this row breaks."""
    rules = list(rules)
    names = {name for rule in rules for name in rule.reads}
    columns = {name: column([getattr(instance, name)]) for name in names}
    errors: dict[str, list] = {}
    for rule, _mask in violations(rules, columns):
        errors.setdefault(rule.field, []).append(rule.message)
    if errors:
        raise ValidationError(errors)
