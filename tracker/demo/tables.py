"""The column tables a demo batch is made of, and the reference data the generator draws from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from tracker.demo.names import NameSpace

# Share of demo enterprises registered with a county-level region rather than the city: most firms
# register in a district or county-level city; a third keeps the demo's city-level records visible.
COUNTY_SHARE = 0.65


@dataclass
class Column:
    """A typed column: ``kind`` is int, money, ratio (10⁻⁴ units), score (10⁻¹ units), bool, date, text
    or choice (an index into ``labels``); ``null`` marks missing values."""

    kind: str
    values: np.ndarray
    null: np.ndarray | None = None
    labels: tuple[str, ...] = ()


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    owner: np.ndarray | None = None  # enterprise position in the batch, for child tables

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())).values)


@dataclass
class DemoContext:
    """What the generator needs from the reference data, as arrays."""

    region_ids: np.ndarray
    region_codes: np.ndarray
    city_names: np.ndarray
    region_p: np.ndarray
    cluster_ids: np.ndarray
    cluster_codes: list[str]
    segment_ids: list[np.ndarray]  # per cluster position
    segment_names: list[np.ndarray]
    tier_validity: dict[str, int | None]
    years: np.ndarray  # ascending fiscal years
    reference_date: dt.date  # designation statuses are as of this day
    # Per city position: its counties (ids, codes) in use today. Empty arrays when none are loaded.
    county_ids: list[np.ndarray] = field(default_factory=list)
    county_codes: list[np.ndarray] = field(default_factory=list)
    names: NameSpace = field(init=False)

    def __post_init__(self):
        self.names = NameSpace(self.cluster_codes)

    def registration(self, rng: np.random.Generator, city: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(region id, region code) where each enterprise is registered: its city, or for a share
        of them one of the city's counties (districts and county-level cities register firms too)."""
        region_id, region_code = self.region_ids[city], self.region_codes[city].astype("S6")
        at_county = rng.random(city.size) < COUNTY_SHARE
        picks = rng.random(city.size)
        for position, (ids, codes) in enumerate(zip(self.county_ids, self.county_codes, strict=True)):
            rows = np.flatnonzero(at_county & (city == position))
            if ids.size and rows.size:
                chosen = (picks[rows] * ids.size).astype(np.int64)
                region_id[rows], region_code[rows] = ids[chosen], codes[chosen].astype("S6")
        return region_id, region_code


@dataclass
class DemoBatch:
    enterprises: Table
    memberships: Table
    metrics: Table
    designations: Table


def days_since_epoch(year: np.ndarray, day_of_year: np.ndarray) -> np.ndarray:
    return (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day_of_year.astype("timedelta64[D]")
