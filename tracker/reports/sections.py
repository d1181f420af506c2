"""What a tier report holds: one computation, three renderings (docs/architecture.md, "Reports").

A report is computed once (``tracker/reports/frame.py`` builds a ``ReportFrame`` through the read
layer) and rendered three ways — the admin page, the xlsx workbook, the PDF — and served as JSON by the
API. The renderers and the API read only these types; they never query the database themselves, so a
renderer can be tested with a frame built by hand, and what the three show cannot drift apart.

Plain dataclasses of plain values (str, int, float, None, ``datetime.date``): ``to_json``/``from_json``
round-trip a frame through the JSON stored on ``TierReport.content``. Money is in 万元 (already divided),
ratios are fractions (0.153 = 15.3 %), a value nobody knows is ``None`` — never 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# The measures of the overview, in the order the tables show them; a cell holds one count per measure.
OVERVIEW_MEASURES: tuple[str, ...] = (
    "held",  # 持有称号: a designation of this tier held on the report's data date
    "eligible",  # 当前符合: the current result is eligible
    "candidates",  # 符合未认定: eligible and neither held nor on its way (the next batch's candidates)
    "at_risk",  # 认定但不符合: held but not eligible now (at risk at 复核)
    "near_miss",  # 接近达标
    "insufficient",  # 待补数据: result insufficient_data
    "review_due",  # 90日内到期复核: held, valid_until within TIDU_REVIEW_DUE_DAYS of the data date
    "expired",  # 期内到期: valid_until fell between the previous report's data date and this one's
)


@dataclass
class Scope:
    """Whose report: the province (code "32"), a city ("3205") or a county ("320583")."""

    code: str
    name: str
    level: str  # "province" | "city" | "county"


@dataclass
class Measures:
    """One overview cell: a count per measure, and the change since the previous report (None: no previous)."""

    counts: dict[str, int]
    deltas: dict[str, int | None]


@dataclass
class OverviewRow:
    """One tier in one area (a city or county; or a cluster in the cluster table)."""

    tier_code: str
    tier_name: str
    area_code: str  # region code, or cluster code in the cluster table; "" on a total row
    area_name: str
    group: str  # cluster table: the 51010 group's label ("国际竞争力" …); "" in the region table
    measures: Measures
    is_total: bool = False


@dataclass
class EnterpriseRef:
    """The official list's identifying columns of an enterprise."""

    id: int
    name: str
    uscc: str
    city: str  # 设区市
    county: str  # 县(市、区); "" when registered at city level
    clusters: str  # 产业集群, names joined with "、"


@dataclass
class CriterionGap:
    """One criterion an enterprise fails or lacks data for, as the official gap columns read."""

    criterion: str  # label in Chinese
    actual: str  # formatted with its unit ("3,120.50万元", "3.2%"); "缺数据" when unknown
    required: str  # "≥ 5,000万元"
    shortfall: str  # "差 1,879.50万元"; "" when unknown
    actionable: bool = True
    when: str = ""  # time-bound criteria: "再经营1年后满足" / "窗口已关闭"
    before: str = ""  # a change's flipped criterion: where it stood at the previous report ("" elsewhere)


@dataclass
class ChangeRow:
    """A tier gained or lost since the previous report."""

    enterprise: EnterpriseRef
    tier_code: str
    tier_name: str
    cluster: str  # the cluster of a per-cluster tier (chain leader); "" otherwise
    change: str  # "gained" | "lost"
    change_label: str  # "新增" | "失去"
    status_before: str
    status_after: str
    # The criteria whose verdict flipped: a gain's unmet before, a loss's unmet now; the value at the
    # previous report in `before`, the value now in `actual` (a criterion without a value: its verdict).
    flipped: list[CriterionGap]
    changed_at: dt.datetime | None = None


@dataclass
class NearMissRow:
    enterprise: EnterpriseRef
    tier_code: str
    tier_name: str
    distance: float  # the result's normalised shortfall: smaller is closer
    lacks: list[CriterionGap]
    cluster: str = ""  # the cluster of a per-cluster tier (chain leader: the rank is within it); "" otherwise


@dataclass
class ClusterCoverageRow:
    """One cluster, or one chain segment of it (segment != "")."""

    group: str
    cluster_code: str
    cluster_name: str
    segment: str  # "" for the cluster's own row
    chain_leader: int  # chain leaders held
    little_giants: int
    single_champions: int
    specialized: int  # 专精特新
    highlight: bool  # nothing at all: the gap a cluster promoter needs to see


@dataclass
class MissingFact:
    fact: str  # label of the fact to collect
    enterprises: int


@dataclass
class DataToCollectCity:
    area_code: str
    area_name: str
    enterprises: int  # enterprises with at least one insufficient_data result
    top_missing: list[MissingFact]


@dataclass
class DataToCollectRow:
    enterprise: EnterpriseRef
    tiers: str  # tier names joined with "、"
    missing: str  # the facts to collect, joined with "、"


@dataclass
class DesignationRow:
    """A designation in the official list's columns."""

    enterprise: EnterpriseRef
    tier_name: str
    batch: str
    document_no: str
    recognized_on: dt.date | None
    valid_until: dt.date | None
    status: str  # label ("有效", "待复核" …)
    bucket: str  # "review_due" | "expiring" | "expired"


# The lists a page cuts to its first PAGE_ROWS rows (the xlsx holds them all); the others (overview,
# coverage) are shown whole. ``TierReport.head`` stores the frame so cut.
LONG_LISTS = ("changes", "near_misses", "to_collect", "designations")
PAGE_ROWS = 100


@dataclass
class ReportFrame:
    scope: Scope
    report_date: dt.date
    data_date: dt.date  # the as_of of the run whose results the report shows
    run_id: int | None
    stale: bool  # the night's run failed or is late: the results are the previous run's
    stale_reason: str
    previous_report_date: dt.date | None
    tiers: list[tuple[str, str]]  # (code, name) in ladder order
    overview_regions: list[OverviewRow]  # tier × city (or county within a city), with total rows
    overview_clusters: list[OverviewRow]  # tier × cluster, grouped by the 51010 groups
    changes: list[ChangeRow]
    near_misses: list[NearMissRow]  # per tier, closest first
    coverage: list[ClusterCoverageRow]
    to_collect_cities: list[DataToCollectCity]
    to_collect: list[DataToCollectRow]
    designations: list[DesignationRow]
    trend: list[tuple[dt.date, dict[str, int]]] = field(default_factory=list)  # last 30 reports: date → held per tier
    truncated: dict[str, int] = field(default_factory=dict)  # section → rows left out of a capped list

    def to_json(self) -> dict[str, Any]:
        return _encode(self)

    def head(self, rows: int) -> ReportFrame:
        """The frame with each long list cut to its first ``rows`` rows, what was cut counted in
        ``truncated``: what a page shows of the report (``TierReport.head``), a few hundred kilobytes
        where the whole province's frame is several megabytes."""
        cut, truncated = {}, dict(self.truncated)
        for section in LONG_LISTS:
            full = getattr(self, section)
            cut[section] = full[:rows]
            if len(full) > rows:
                truncated[section] = truncated.get(section, 0) + len(full) - rows
        return dataclasses.replace(self, **cut, truncated=truncated)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportFrame:
        return _build(cls, data)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _encode(value: Any) -> Any:
    """JSON of a frame: what ``dataclasses.asdict`` gives, dates as ISO text — walked directly, without
    the deep copy of every value ``asdict`` makes (seconds for a province's frame)."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return value
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: _encode(getattr(value, name)) for name in names}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _build(cls: type, data: Any) -> Any:
    """Rebuild a dataclass from ``to_json`` output, reading each field's annotation."""
    hints = {f.name: f.type for f in dataclasses.fields(cls)}
    kwargs = {}
    for name, hint in hints.items():
        if name not in data:
            continue
        kwargs[name] = _coerce(hint, data[name])
    return cls(**kwargs)


_NESTED = {
    "Scope": Scope,
    "Measures": Measures,
    "OverviewRow": OverviewRow,
    "EnterpriseRef": EnterpriseRef,
    "CriterionGap": CriterionGap,
    "ChangeRow": ChangeRow,
    "NearMissRow": NearMissRow,
    "ClusterCoverageRow": ClusterCoverageRow,
    "MissingFact": MissingFact,
    "DataToCollectCity": DataToCollectCity,
    "DataToCollectRow": DataToCollectRow,
    "DesignationRow": DesignationRow,
}


def _coerce(hint: str, value: Any) -> Any:
    # Annotations are strings (from __future__ import annotations); the shapes used above are few.
    if value is None:
        return None
    hint = hint.replace(" | None", "")
    if hint in _NESTED:
        return _build(_NESTED[hint], value)
    if hint.startswith("list[") and hint[5:-1] in _NESTED:
        return [_build(_NESTED[hint[5:-1]], v) for v in value]
    if hint == "dt.date":
        return dt.date.fromisoformat(value)
    if hint == "dt.datetime":
        return dt.datetime.fromisoformat(value)
    if hint.startswith("list[tuple[dt.date"):
        return [(dt.date.fromisoformat(d), counts) for d, counts in value]
    if hint.startswith("list[tuple["):
        return [tuple(v) for v in value]
    return value
