"""Columnar facts for n rows (enterprises, or enterprise × cluster for chain leaders).

Everything is a float64 array with NaN for missing, so that one comparison kernel serves every kind:
bools are 0/1, ordinals and categories are the position of the choice in the field's ``choices``,
dates are day numbers since 1970-01-01, years are plain numbers. Designations are bool arrays
(held on ``as_of`` or not: a designation is never "unknown"), with the day each held title was granted
(NaN when not held or not recorded): re-reviews are judged under the rules of the grant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np

from .fields import ATTRIBUTE_FIELDS, FIELDS, METRIC_FIELDS, FactField

_EPOCH = dt.date(1970, 1, 1)


class FactError(ValueError):
    """Bad input facts: an unknown field, a bad choice value or a malformed record."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f'field "{field}": {message}')


def day_number(value) -> float:
    """Day number (days since 1970-01-01) of a date, datetime or ISO string; NaN for None."""
    if value is None:
        return np.nan
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return float((value - _EPOCH).days)


def date_from_day_number(days: float) -> dt.date | None:
    """Inverse of :func:`day_number`; None for NaN."""
    if days != days:
        return None
    return _EPOCH + dt.timedelta(days=int(days))


def encode_column(field: FactField, values, n: int | None = None) -> np.ndarray:
    """Encode one column of plain values (or an already-encoded numeric array) as float64.

    Numeric arrays are taken as already encoded (codes for choices, day numbers for dates);
    object/str arrays are decoded from choice names, bools, dates or ISO strings.
    """
    arr = values if isinstance(values, np.ndarray) else np.asarray(_as_list(values), dtype=object)
    if arr.ndim != 1:
        raise FactError(field.name, "expected a one-dimensional column")
    if n is not None and arr.shape[0] != n:
        raise FactError(field.name, f"expected {n} values, got {arr.shape[0]}")
    if arr.dtype.kind == "M":
        return _encode_datetime64(field, arr)
    if arr.dtype.kind in "biuf":
        out = arr.astype(np.float64, copy=True)
        _check_codes(field, out)
        return out
    if field.kind in ("ordinal", "category"):
        return _encode_choices(field, arr)
    if field.kind == "bool":
        return _encode_bools(field, arr)
    if field.kind == "date":
        return _encode_dates(field, arr)
    try:
        return np.array(arr, dtype=np.float64)  # None becomes NaN
    except (TypeError, ValueError) as exc:
        raise FactError(field.name, f"expected numbers ({exc})") from None


def _as_list(values):
    return values if isinstance(values, list) else list(values)


def _check_codes(field: FactField, out: np.ndarray) -> None:
    if field.kind in ("ordinal", "category"):
        known = out[~np.isnan(out)]
        if known.size and (known.min() < 0 or known.max() >= len(field.choices) or
                           np.any(known != np.floor(known))):
            raise FactError(field.name, f"choice codes must be 0..{len(field.choices) - 1}")
    elif field.kind == "bool":
        known = out[~np.isnan(out)]
        if known.size and not np.all((known == 0) | (known == 1)):
            raise FactError(field.name, "bool codes must be 0 or 1")


def _encode_choices(field: FactField, arr: np.ndarray) -> np.ndarray:
    out = np.full(arr.shape[0], np.nan)
    matched = np.array([v is None for v in arr], dtype=bool) if arr.dtype == object else \
        np.zeros(arr.shape[0], dtype=bool)
    for code, choice in enumerate(field.choices):
        hit = arr == choice
        out[hit] = code
        matched |= hit
    if not matched.all():
        bad = arr[~matched][0]
        raise FactError(field.name, f'"{bad}" is not one of {", ".join(field.choices)}')
    return out


def _encode_bools(field: FactField, arr: np.ndarray) -> np.ndarray:
    out = np.full(arr.shape[0], np.nan)
    for i, v in enumerate(arr):
        if v is None:
            continue
        if isinstance(v, (bool, np.bool_)) or v in (0, 1):
            out[i] = float(bool(v))
        else:
            raise FactError(field.name, f'"{v}" is not a boolean')
    return out


def _encode_dates(field: FactField, arr: np.ndarray) -> np.ndarray:
    try:
        return np.array([day_number(v) for v in arr], dtype=np.float64)
    except (TypeError, ValueError, AttributeError):
        raise FactError(field.name, "expected dates (datetime.date or ISO yyyy-mm-dd)") from None


def _encode_datetime64(field: FactField, arr: np.ndarray) -> np.ndarray:
    if field.kind != "date":
        raise FactError(field.name, "dates given for a field that is not a date")
    days = arr.astype("datetime64[D]")
    out = days.astype(np.int64).astype(np.float64)
    out[np.isnat(days)] = np.nan
    return out


class FactTable:
    """Facts for ``n`` rows: attributes, metrics by fiscal year, active designations and their grant days."""

    def __init__(self, n: int, attributes: dict[str, np.ndarray],
                 metrics: dict[str, dict[int, np.ndarray]], designations: dict[str, np.ndarray],
                 granted: dict[str, np.ndarray] | None = None):
        self.n = int(n)
        self.attributes = attributes
        self.metrics = metrics
        self.designations = designations
        self.granted = granted or {}
        self._missing = np.full(self.n, np.nan)
        self._missing.flags.writeable = False
        self._not_held = np.zeros(self.n, dtype=bool)
        self._not_held.flags.writeable = False

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_columns(cls, *, n: int | None = None, attributes: Mapping | None = None,
                     metrics: Mapping[str, Mapping[int, object]] | None = None,
                     designations: Mapping[str, object] | None = None,
                     granted: Mapping[str, object] | None = None) -> FactTable:
        """Build from columns: ``attributes={field: column}``, ``metrics={field: {year: column}}``,
        ``designations={tier_code: bool column}``, ``granted={tier_code: grant dates}`` (day numbers,
        dates or ISO strings; None where unknown). Columns are NumPy arrays (already encoded or plain
        values) or lists. Raises FactError on unknown fields or bad values."""
        attributes, metrics, designations = attributes or {}, metrics or {}, designations or {}
        if n is None:
            n = _infer_length(attributes, metrics, designations)
        attrs = {}
        for name, column in attributes.items():
            field = ATTRIBUTE_FIELDS.get(name)
            if field is None:
                raise FactError(name, _unknown_message(name, "an attribute"))
            attrs[name] = encode_column(field, column, n)
        mets: dict[str, dict[int, np.ndarray]] = {}
        for name, by_year in metrics.items():
            field = METRIC_FIELDS.get(name)
            if field is None:
                raise FactError(name, _unknown_message(name, "an annual metric"))
            mets[name] = {int(year): encode_column(field, column, n) for year, column in by_year.items()}
        desigs = {}
        for tier, column in designations.items():
            arr = np.asarray(column, dtype=bool)
            if arr.shape != (n,):
                raise FactError(f"designations.{tier}", f"expected {n} values")
            desigs[str(tier)] = arr
        grants = {}
        for tier, column in (granted or {}).items():
            grants[str(tier)] = encode_column(_GRANT_FIELD, column, n)
        return cls(n, attrs, mets, desigs, grants)

    @classmethod
    def from_records(cls, records: Iterable[Mapping]) -> FactTable:
        """Build from plain records ``{"attributes": {...}, "metrics": [{"fiscal_year": 2025, ...}],
        "designations": ["innovative_sme", ...]}`` (str choices, dates or ISO strings, None missing).
        ``designations`` may also map each held tier to its grant date: ``{"little_giant": "2023-07-01"}``.
        """
        records = list(records)
        n = len(records)
        attr_cols: dict[str, list] = {}
        metric_cols: dict[str, dict[int, list]] = {}
        desig_cols: dict[str, np.ndarray] = {}
        grant_cols: dict[str, list] = {}
        for i, record in enumerate(records):
            extra = set(record) - {"attributes", "metrics", "designations"}
            if extra:
                raise FactError(sorted(extra)[0], "unknown record key (expected attributes, metrics, "
                                                  "designations)")
            for name, value in (record.get("attributes") or {}).items():
                if name not in ATTRIBUTE_FIELDS:
                    raise FactError(name, _unknown_message(name, "an attribute"))
                attr_cols.setdefault(name, [None] * n)[i] = value
            seen_years = set()
            for row in record.get("metrics") or ():
                year = row.get("fiscal_year")
                if not isinstance(year, int) or isinstance(year, bool):
                    raise FactError("fiscal_year", "each metrics entry needs an integer fiscal_year")
                if year in seen_years:
                    raise FactError("fiscal_year", f"fiscal year {year} given twice")
                seen_years.add(year)
                for name, value in row.items():
                    if name == "fiscal_year":
                        continue
                    if name not in METRIC_FIELDS:
                        raise FactError(name, _unknown_message(name, "an annual metric"))
                    metric_cols.setdefault(name, {}).setdefault(year, [None] * n)[i] = value
            held = record.get("designations") or ()
            for tier in held:
                desig_cols.setdefault(str(tier), np.zeros(n, dtype=bool))[i] = True
                if isinstance(held, Mapping):
                    grant_cols.setdefault(str(tier), [None] * n)[i] = held[tier]
        return cls.from_columns(n=n, attributes=attr_cols, metrics=metric_cols,
                                designations=desig_cols, granted=grant_cols)

    # -- access ---------------------------------------------------------------------------------

    def attribute(self, name: str) -> np.ndarray:
        """The attribute column (NaN everywhere when the attribute was not supplied)."""
        return self.attributes.get(name, self._missing)

    def metric(self, name: str, fiscal_year: int) -> np.ndarray:
        """The metric column for one fiscal year (NaN everywhere when not supplied)."""
        return self.metrics.get(name, {}).get(fiscal_year, self._missing)

    def holds(self, tier: str) -> np.ndarray:
        """Bool column: the row holds an active designation of ``tier`` on as_of."""
        return self.designations.get(tier, self._not_held)

    def granted_on(self, tier: str) -> np.ndarray:
        """Day number on which the held ``tier`` title was granted; NaN when not held or not known."""
        return self.granted.get(tier, self._missing)

    def take(self, rows) -> FactTable:
        """A new FactTable of the selected rows (an index array, list or slice)."""
        idx = np.arange(self.n)[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=np.int64)
        return FactTable(
            len(idx),
            {k: v[idx] for k, v in self.attributes.items()},
            {k: {y: v[idx] for y, v in by_year.items()} for k, by_year in self.metrics.items()},
            {k: v[idx] for k, v in self.designations.items()},
            {k: v[idx] for k, v in self.granted.items()},
        )

    def raw_value(self, name: str, fiscal_year: int | None, row: int) -> float:
        """One encoded fact (NaN when missing)."""
        if name in ATTRIBUTE_FIELDS:
            return float(self.attribute(name)[row])
        return float(self.metric(name, fiscal_year)[row])

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"<FactTable n={self.n} attributes={len(self.attributes)} metrics={len(self.metrics)}>"


def decode_value(field_kind: str, choices: tuple[str, ...], value: float):
    """A plain Python value for an encoded fact (for traces and the API)."""
    if value != value:
        return None
    if field_kind == "bool":
        return bool(value)
    if field_kind in ("ordinal", "category"):
        return choices[int(value)]
    if field_kind == "date":
        return date_from_day_number(value).isoformat()
    if value in (np.inf, -np.inf):
        return None
    if field_kind in ("count", "year") and float(value).is_integer():
        return int(value)
    return float(value)


_GRANT_FIELD = FactField("granted_on", "date", "认定日期", "Date granted")


def _infer_length(attributes, metrics, designations) -> int:
    for column in attributes.values():
        return len(column)
    for by_year in metrics.values():
        for column in by_year.values():
            return len(column)
    for column in designations.values():
        return len(column)
    return 0


def _unknown_message(name: str, what: str) -> str:
    import difflib

    if name in FIELDS:
        other = "an annual metric" if FIELDS[name].annual else "an attribute"
        return f"is {other}, not {what}"
    close = difflib.get_close_matches(name, FIELDS, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f"unknown field, expected {what}{hint}"
