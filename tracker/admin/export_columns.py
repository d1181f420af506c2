"""What each changelist's Excel export holds: its columns in the official list order, and how a value
becomes a cell.

Official lists (/work/shared/reference/official-lists.md) run 序号, 企业名称, 统一社会信用代码, 设区市,
县（市、区）, 产业集群, 层级, 批次, 文号, 认定日期, 有效期至, 状态; each list takes the columns it has, in
that order, then its own. Money is exported in 万元 as a number with two decimals (so staff can sum
it), ratios as percentages, dates as dates. A column reads ``values()`` lookups, never a model
instance: an export iterates plain rows (tracker/admin/exports.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tracker.admin import display
from tracker.admin.explanation import value_text
from tracker.admin.ruleset_table import OPERATORS, threshold_text
from tracker.models import (
    AnnualMetrics,
    ClusterMembership,
    Designation,
    EligibilityResult,
    Enterprise,
    EvaluationRun,
    TierChange,
)
from tracker.models.designations import DesignationStatus
from tracker.models.enterprises import Sector
from tracker.models.evaluation import ResultStatus
from tracker.rules.fields import FIELDS
from tracker.selectors.results import failing_criteria

WAN = Decimal("10000")
CENT = Decimal("0.01")
FORMATS = {"money": "#,##0.00", "ratio": "0.00%", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "int": "0"}


def _first(*values):
    return values[0] if values else None


@dataclass(frozen=True)
class Column:
    header: str  # lazily translated
    lookups: tuple[str, ...] = ()
    convert: Callable = _first  # the lookups' values → the cell
    kind: str = "text"  # text | code (kept as text: a USCC) | money | ratio | date | datetime | int
    width: int = 14
    computed: bool = False  # filled in by the spec's ``expand``, not read from the database


@dataclass(frozen=True)
class ExportSpec:
    """One changelist's export. ``prepare`` adds the annotations the columns read; ``expand`` turns a
    chunk of rows into the rows written (decoding failing criteria set-based, one row per gap…)."""

    title: str  # the sheet's name
    columns: tuple[Column, ...]
    prepare: Callable = lambda queryset: queryset
    expand: Callable[[list[dict], object], Iterable[dict]] | None = None
    extra_lookups: tuple[str, ...] = field(default=())

    @property
    def lookups(self) -> list[str]:
        seen = dict.fromkeys(
            [*self.extra_lookups, *(lookup for c in self.columns if not c.computed for lookup in c.lookups)]
        )
        return list(seen)


# Conversions


def wan(value) -> Decimal | None:
    """Yuan → 万元, two decimals (missing stays empty: missing is not zero)."""
    return None if value is None else (Decimal(value) / WAN).quantize(CENT)


def localtime(value: dt.datetime | None):
    # Excel has no time zones: the office's local time, as on the page.
    return None if value is None else timezone.localtime(value).replace(tzinfo=None)


def yes_no(value: bool | None) -> str:
    return "" if value is None else str(_("是") if value else _("否"))


def choice_of(choices) -> Callable:
    labels = dict(choices.choices)
    return lambda value: str(labels.get(value, value or ""))


def city(level, name, parent_name) -> str:
    """设区市: a county's parent, or the city itself."""
    if level == "county":
        return parent_name or ""
    return name or "" if level == "prefecture" else ""


def county(level, name) -> str:
    return name if level == "county" else ""


def enterprise_columns(prefix: str = "enterprise__") -> tuple[Column, ...]:
    region = f"{prefix}region__"
    return (
        Column(_("企业名称"), (f"{prefix}name",), width=36),
        Column(_("统一社会信用代码"), (f"{prefix}uscc",), kind="code", width=22),
        Column(_("设区市"), (f"{region}level", f"{region}name", f"{region}parent__name"), city, width=10),
        Column(_("县（市、区）"), (f"{region}level", f"{region}name"), county, width=12),
    )


CLUSTER = Column(_("产业集群"), ("cluster__name_zh",), lambda v: v or "", width=18)
TIER = Column(_("层级"), ("tier__name_zh",), width=14)
YEAR = Column(_("年度"), ("fiscal_year",), kind="int", width=8)


def _money(name: str, label) -> Column:
    return Column(format_lazy("{}（万元）", label), (name,), wan, kind="money", width=16)


# Enterprises


def _with_clusters_and_tiers(rows: list[dict], user) -> Iterable[dict]:
    """A chunk of enterprises with their clusters (by cluster code) and the tiers they hold today (by
    ladder), read for the chunk in two queries — portable, unlike a string aggregate per row, which
    the embedded SQLite cannot do with DISTINCT."""
    ids = [row["id"] for row in rows]
    clusters: dict[int, list[str]] = defaultdict(list)
    memberships = ClusterMembership.objects.filter(enterprise_id__in=ids).order_by("enterprise_id", "cluster__code")
    for enterprise_id, name in memberships.values_list("enterprise_id", "cluster__name_zh"):
        clusters[enterprise_id].append(name)
    tiers: dict[int, list[str]] = defaultdict(list)
    held = (
        Designation.objects.filter(enterprise_id__in=ids)
        .held_on(timezone.localdate())
        .order_by("enterprise_id", "tier__ladder_order", "tier__name_zh")
        .values_list("enterprise_id", "tier__name_zh")
        .distinct()
    )
    for enterprise_id, name in held:
        tiers[enterprise_id].append(name)
    for row in rows:
        row["export_clusters"] = "、".join(clusters.get(row["id"], ()))
        row["export_tiers"] = "、".join(tiers.get(row["id"], ()))
        yield row


ENTERPRISES = ExportSpec(
    title=_("企业名录"),
    columns=(
        *enterprise_columns(prefix=""),
        Column(_("产业集群"), ("export_clusters",), width=24, computed=True),
        Column(_("已认定层级"), ("export_tiers",), width=20, computed=True),
        Column(_("成立日期"), ("founded_on",), kind="date", width=12),
        Column(_("行业（划型）"), ("sector",), choice_of(Sector), width=10),
        Column(_("主导产品"), ("main_product",), width=24),
        Column(_("已上市"), ("listed",), yes_no, width=8),
    ),
    expand=_with_clusters_and_tiers,
    extra_lookups=("id",),
)


# Annual metrics

METRICS = ExportSpec(
    title=_("年度指标"),
    columns=(
        *enterprise_columns(),
        YEAR,
        _money("revenue", _("营业收入")),
        _money("main_business_revenue", _("主营业务收入")),
        _money("rd_expense", _("研发费用")),
        _money("net_profit", _("净利润")),
        _money("total_assets", _("资产总额")),
        _money("total_liabilities", _("负债总额")),
        _money("equity_financing", _("当年股权融资")),
        Column(_("从业人员（人）"), ("employees",), kind="int", width=10),
        Column(_("研发人员（人）"), ("rd_staff",), kind="int", width=10),
        Column(_("Ⅰ类知识产权（项）"), ("ip_class1",), kind="int", width=10),
        Column(_("Ⅱ类知识产权（项）"), ("ip_class2",), kind="int", width=10),
        Column(_("细分市场占有率"), ("niche_market_share",), kind="ratio", width=10),
        Column(_("高新技术企业"), ("high_tech_certified",), yes_no, width=8),
        Column(_("数据来源"), ("source",), choice_of(AnnualMetrics._meta.get_field("source")), width=10),
    ),
)


# Designations: the official list itself

DESIGNATIONS = ExportSpec(
    title=_("认定名单"),
    columns=(
        *enterprise_columns(),
        CLUSTER,
        TIER,
        Column(_("批次"), ("batch", "designation_batch__name"), lambda b, name: name or b or "", width=16),
        Column(_("文号"), ("document_no",), width=24),
        Column(_("认定日期"), ("recognized_on",), kind="date", width=12),
        Column(_("有效期至"), ("valid_until",), kind="date", width=12),
        Column(_("状态"), ("status",), choice_of(DesignationStatus), width=10),
    ),
)


# Results, and their gaps


def _with_failing(rows: list[dict], user) -> Iterable[dict]:
    """The failing criteria of a chunk of results, decoded with their rulesets read once."""
    results = [SimpleNamespace(pk=r["id"], ruleset_id=r["ruleset_id"], failed_nodes=r["failed_nodes"]) for r in rows]
    failing = failing_criteria(results)
    for row in rows:
        row["export_failing"] = "；".join(item["label"]["zh"] for item in failing.get(row["id"], []))
        yield row


RESULTS = ExportSpec(
    title=_("评价结果"),
    columns=(
        *enterprise_columns(),
        CLUSTER,
        TIER,
        YEAR,
        Column(_("结论"), ("status",), choice_of(ResultStatus), width=10),
        Column(_("得分"), ("score",), kind="int", width=8),
        Column(_("未达标条件"), ("export_failing",), width=48, computed=True),
        Column(_("差距（归一化）"), ("shortfall",), kind="ratio", width=10),
        Column(_("接近达标"), ("near_miss",), yes_no, width=8),
        Column(_("评价时间"), ("evaluated_at",), localtime, kind="datetime", width=17),
    ),
    expand=_with_failing,
    extra_lookups=("id", "ruleset_id", "failed_nodes"),
)


def _gap(op: str, threshold, value):
    if not isinstance(value, int | float | Decimal) or not isinstance(threshold, int | float) or op not in OPERATORS:
        return None
    if isinstance(value, bool) or isinstance(threshold, bool):
        return None
    value = float(value)
    if op in ("gte", "gt"):
        return max(threshold - value, 0.0)
    if op in ("lte", "lt"):
        return max(value - threshold, 0.0)
    return None


def _one_row_per_gap(rows: list[dict], user) -> Iterable[dict]:
    """Each failing criterion of each result: 条件, 实际值, 要求, 差距. The actual value is the
    enterprise's stored figure of the result's year for a criterion on a stored fact (read for the
    chunk in one query, and only for readers who may see metrics); a derived figure (an average, a
    growth rate) is in the result's explanation."""
    results = [SimpleNamespace(pk=r["id"], ruleset_id=r["ruleset_id"], failed_nodes=r["failed_nodes"]) for r in rows]
    failing = failing_criteria(results)
    stored = {name for name, f in FIELDS.items() if f.annual and hasattr(AnnualMetrics, name)}
    wanted = {item.get("variable") for items in failing.values() for item in items} & stored
    facts: dict[tuple[int, int], dict] = {}
    if wanted and user.has_perm("tracker.view_annualmetrics"):
        metrics = AnnualMetrics.objects.visible_to(user).filter(
            enterprise_id__in={r["enterprise_id"] for r in rows}, fiscal_year__in={r["fiscal_year"] for r in rows}
        )
        for m in metrics.values("enterprise_id", "fiscal_year", *sorted(wanted)):
            facts[(m.pop("enterprise_id"), m.pop("fiscal_year"))] = m
    see_facts = user.has_perm("tracker.view_annualmetrics")
    derived = _("见逐项评价")
    for row in rows:
        year_facts = facts.get((row["enterprise_id"], row["fiscal_year"]), {})
        for item in failing.get(row["id"], []):
            variable, op = item.get("variable", ""), item.get("op", "")
            value = year_facts.get(variable)
            if not see_facts:
                actual = gap = display.MISSING
            elif variable in stored:
                actual = value_text(variable, float(value) if isinstance(value, Decimal) else value)
                missing = _gap(op, item.get("threshold"), value)
                gap = display.MISSING if missing is None else value_text(variable, missing)
            else:
                actual = gap = derived
            requirement = f"{OPERATORS.get(op, op)} {threshold_text(variable, op, item.get('threshold'))}".strip()
            yield {
                **row,
                "gap_label": item["label"]["zh"],
                "gap_actual": actual,
                "gap_requirement": requirement if op else "",
                "gap_gap": gap,
            }


GAPS = ExportSpec(
    title=_("差距明细"),
    columns=(
        *enterprise_columns(),
        CLUSTER,
        TIER,
        YEAR,
        Column(_("条件"), ("gap_label",), width=36, computed=True),
        Column(_("实际值"), ("gap_actual",), width=18, computed=True),
        Column(_("要求"), ("gap_requirement",), width=18, computed=True),
        Column(_("差距"), ("gap_gap",), width=18, computed=True),
    ),
    expand=_one_row_per_gap,
    extra_lookups=("id", "ruleset_id", "failed_nodes", "enterprise_id"),
)


# Tier changes and runs

TIER_CHANGES = ExportSpec(
    title=_("层级变化"),
    columns=(
        *enterprise_columns(),
        CLUSTER,
        TIER,
        YEAR,
        Column(_("变化"), ("change",), choice_of(TierChange.Change), width=8),
        Column(_("原结论"), ("from_status",), choice_of(ResultStatus), width=10),
        Column(_("新结论"), ("to_status",), choice_of(ResultStatus), width=10),
        Column(_("发生时间"), ("created_at",), localtime, kind="datetime", width=17),
    ),
)

RUNS = ExportSpec(
    title=_("评价运行"),
    columns=(
        Column(_("编号"), ("id",), kind="int", width=8),
        Column(_("类型"), ("kind",), choice_of(EvaluationRun.Kind), width=10),
        Column(_("状态"), ("status",), choice_of(EvaluationRun.Status), width=8),
        Column(_("评价基准日"), ("as_of",), kind="date", width=12),
        Column(_("评价年度"), ("fiscal_year",), kind="int", width=8),
        Column(_("全量"), ("is_full",), yes_no, width=6),
        Column(_("已评价"), ("evaluated",), width=10),
        Column(_("输入有变化"), ("inputs_changed",), width=10),
        Column(_("结果有变化"), ("changed",), width=10),
        Column(_("错误数"), ("errors",), width=8),
        Column(_("开始时间"), ("started_at",), localtime, kind="datetime", width=17),
        Column(_("结束时间"), ("finished_at",), localtime, kind="datetime", width=17),
    ),
)

SPECS = {
    Enterprise: ENTERPRISES,
    AnnualMetrics: METRICS,
    Designation: DESIGNATIONS,
    EligibilityResult: RESULTS,
    TierChange: TIER_CHANGES,
    EvaluationRun: RUNS,
}
