"""The variable registry: every quantity a ruleset can test, defined once.

A variable has labels, a unit, a kind, its choices (ordinal/category), the fiscal years it reads
(``window``: offsets from the assessment year Y, 0 = Y, -1 = Y-1 …), the facts it reads (``inputs``,
used by traces and by "facts to collect") and a vectorised formula over a :class:`FactTable`.

Conventions (every formula follows them):

* Base metrics evaluate at the assessment year Y (上年度, by default ``as_of.year - 1``).
* A derived value is missing (NaN) when any input it needs is missing: missing is never zero. A
  denominator of 0 gives missing; growth rates and CAGRs also need a positive base.
* Window aggregates (sums, averages, minimums, best awards) are missing if any year of the window is
  missing. A ruleset that wants "either year" with three-valued logic should use ``any`` over the
  per-year variables (for example ``platform_score`` and ``platform_score_prev``).
* Every duration (ages, windows, years in the niche) is ``durations.years_between``: exact calendar
  years, integers on anniversaries, so "not more than 10 years" fails the day after the tenth
  anniversary. ``company_age`` is measured on ``as_of``, ``company_age_end_of_year`` and
  ``years_in_niche`` at the end of Y; a start known only as a year (``niche_since``) counts from the
  first whole year after it (entered 2022 → 3 years at the end of 2025). See durations.py.
* "No qualifying award" in ``*_award_best_rank_3y`` is +inf (a rank test on it fails, never unknown).

Besides its formula a variable carries data the gap report reads (docs/rules-format.md, "Gaps"):
``actionable`` (can an enterprise change it by what it does), ``clock`` (a duration that moves with
time alone: when a failing test on it will be met, or when its window closed), ``precision`` (the
smallest step a gap is reported in: a fen for money, 0.01 percentage points for ratios) and
``zero_scale`` (the distance that counts as 100 % short when the threshold itself is 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .durations import day_of, end_of_year, start_of_year_count, years_between
from .facts import FactTable
from .fields import AWARD_LEVELS, CHUANGKE_RANKS, FIELDS, FactField
from .formulas import (  # noqa: F401  (ParameterError is part of this module's interface)
    ParameterError,
    best_rank,
    cagr,
    growth,
    max_over,
    ratio,
    sme_by_size_standard,
    sum_over,
)

# The smallest step a gap is reported in, by kind (a variable may set its own).
PRECISION = {"money": 0.01, "money_usd": 0.01, "ratio": 0.0001, "count": 1.0, "number": 0.01, "year": 1.0,
             "date": 1.0, "bool": 1.0, "ordinal": 1.0, "category": 1.0}
# What counts as 100 % short when a threshold is 0 (growth > 0 %, a count > 0), by kind: the relative
# gap |threshold − value| / |threshold| has no meaning there, so the distance is read on this scale.
# Ratios: 1.0 (100 percentage points, so a 3.8 % decline is 3.8 % short); money: 1000万元, the smallest
# revenue bar of the MIIT rules; USD: 500万美元, the smallest financing bar of the GEI rules.
ZERO_SCALE = {"money": 10_000_000.0, "money_usd": 5_000_000.0, "ratio": 1.0, "count": 1.0, "number": 1.0,
              "year": 1.0, "date": 365.0, "bool": 1.0, "ordinal": 1.0, "category": 1.0}


@dataclass(frozen=True)
class Clock:
    """A duration that moves with time alone: years from the fact ``start`` (a date, or a year counted
    from the first whole year after it) to ``at``: ``as_of`` or ``end_of_year`` (the end of Y)."""

    start: str
    at: str


@dataclass(frozen=True)
class Input:
    """One fact a variable reads: a field and, for annual metrics, a year offset from Y."""

    field: str
    offset: int | None = None
    role: str = ""


@dataclass(frozen=True)
class Variable:
    """A named quantity with a vectorised formula (see the module docstring for conventions)."""

    name: str
    kind: str
    label_zh: str
    label_en: str
    unit: str
    window: tuple[int, ...]
    inputs: tuple[Input, ...]
    formula: Callable[[VariableContext], np.ndarray]
    choices: tuple[str, ...] = ()
    doc: str = ""
    derived: bool = True
    may_be_infinite: bool = False
    actionable: bool = True
    clock: Clock | None = None
    precision: float = 0.0  # 0 = the kind's default (PRECISION)
    zero_scale: float = 0.0  # 0 = the kind's default (ZERO_SCALE)

    def __post_init__(self):
        if not self.precision:
            object.__setattr__(self, "precision", PRECISION[self.kind])
        if not self.zero_scale:
            object.__setattr__(self, "zero_scale", ZERO_SCALE[self.kind])

    def years(self, fiscal_year: int) -> list[int]:
        """The fiscal years this variable reads for assessment year ``fiscal_year``."""
        return [fiscal_year + k for k in self.window]


class VariableContext:
    """Computes and caches variable arrays for one FactTable and one assessment year."""

    def __init__(self, facts: FactTable, *, fiscal_year: int, as_of: dt.date, parameters: dict):
        self.facts = facts
        self.fiscal_year = int(fiscal_year)
        self.as_of = as_of
        self.parameters = parameters or {}
        self._cache: dict[str, np.ndarray] = {}

    def value(self, name: str) -> np.ndarray:
        """The variable's array (cached: every tier reading it shares one computation)."""
        arr = self._cache.get(name)
        if arr is None:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                arr = VARIABLES[name].formula(self)
            self._cache[name] = arr
        return arr

    def metric(self, field: str, offset: int = 0) -> np.ndarray:
        return self.facts.metric(field, self.fiscal_year + offset)

    def attribute(self, name: str) -> np.ndarray:
        return self.facts.attribute(name)


# -- the registry ---------------------------------------------------------------------------------

VARIABLES: dict[str, Variable] = {}


def _register(var: Variable) -> None:
    assert var.name not in VARIABLES, var.name
    VARIABLES[var.name] = var


def _base(field: FactField) -> Variable:
    if field.annual:
        return Variable(field.name, field.kind, field.label_zh, field.label_en, field.unit, (0,),
                        (Input(field.name, 0),), lambda ctx, f=field.name: ctx.metric(f, 0),
                        field.choices, derived=False, actionable=field.actionable)
    return Variable(field.name, field.kind, field.label_zh, field.label_en, field.unit, (),
                    (Input(field.name),), lambda ctx, f=field.name: ctx.attribute(f),
                    field.choices, derived=False, actionable=field.actionable)


for _field in FIELDS.values():
    _register(_base(_field))


def derived(name, kind, zh, en, unit, inputs, doc="", choices=(), may_be_infinite=False, actionable=True,
            clock=None, precision=0.0):
    """Decorator registering a derived variable; ``inputs`` are (field, offset[, role]) tuples."""
    ins = tuple(Input(*spec) for spec in inputs)
    window = tuple(sorted({i.offset for i in ins if i.offset is not None}, reverse=True))

    def wrap(formula):
        _register(Variable(name, kind, zh, en, unit, window, ins, formula, tuple(choices), doc,
                           True, may_be_infinite, actionable, clock, precision))
        return formula

    return wrap


def _years(field, offsets, role=""):
    return [(field, k, role or f"Y{k:+d}" if k else role or "Y") for k in offsets]


@derived("rd_ratio", "ratio", "研发费用占营业收入比重", "R&D expense / revenue", "",
         [("rd_expense", 0, "numerator"), ("revenue", 0, "denominator")])
def _rd_ratio(ctx):
    return ratio(ctx.metric("rd_expense"), ctx.metric("revenue"))


@derived("rd_ratio_prev", "ratio", "前一年研发费用占比", "R&D ratio of Y-1", "",
         [("rd_expense", -1, "numerator"), ("revenue", -1, "denominator")])
def _rd_ratio_prev(ctx):
    return ratio(ctx.metric("rd_expense", -1), ctx.metric("revenue", -1))


@derived("rd_ratio_min_2y", "ratio", "近2年研发费用占比(孰低)", "Lower R&D ratio of Y and Y-1", "",
         [("rd_expense", 0), ("revenue", 0), ("rd_expense", -1), ("revenue", -1)],
         doc="min(rd_ratio(Y), rd_ratio(Y-1)): 'each of the last 2 years ≥ x'")
def _rd_ratio_min_2y(ctx):
    return np.minimum(ctx.value("rd_ratio"), ctx.value("rd_ratio_prev"))


@derived("rd_expense_sum_2y", "money", "近2年研发费用合计", "R&D expense, Y and Y-1 combined", "CNY",
         _years("rd_expense", (0, -1)))
def _rd_sum_2y(ctx):
    return sum_over(ctx, "rd_expense", (0, -1))


@derived("rd_expense_avg_2y", "money", "近2年研发费用平均", "Average R&D expense, Y and Y-1", "CNY",
         _years("rd_expense", (0, -1)))
def _rd_avg_2y(ctx):
    return ctx.value("rd_expense_sum_2y") / 2.0


@derived("rd_expense_min_2y", "money", "近2年研发费用(孰低)", "Lower R&D expense of Y and Y-1", "CNY",
         _years("rd_expense", (0, -1)), doc="'R&D expense ≥ x in each of the last 2 years' (2026)")
def _rd_min_2y(ctx):
    return np.minimum(ctx.metric("rd_expense"), ctx.metric("rd_expense", -1))


@derived("main_business_share", "ratio", "主营业务收入占营业收入比重", "Main business / revenue", "",
         [("main_business_revenue", 0, "numerator"), ("revenue", 0, "denominator")])
def _mb_share(ctx):
    return ratio(ctx.metric("main_business_revenue"), ctx.metric("revenue"))


@derived("main_business_growth", "ratio", "主营业务收入增长率", "Main-business revenue growth", "",
         [("main_business_revenue", 0, "current"), ("main_business_revenue", -1, "base")])
def _mb_growth(ctx):
    return growth(ctx.metric("main_business_revenue"), ctx.metric("main_business_revenue", -1))


@derived("main_business_growth_avg_2y", "ratio", "近2年主营业务收入平均增长率",
         "Average main-business growth over 2 years", "", _years("main_business_revenue", (0, -1, -2)),
         doc="mean of the growth Y/Y-1 and Y-1/Y-2")
def _mb_growth_avg(ctx):
    prev = growth(ctx.metric("main_business_revenue", -1), ctx.metric("main_business_revenue", -2))
    return (ctx.value("main_business_growth") + prev) / 2.0


@derived("revenue_growth", "ratio", "营业收入增长率", "Revenue growth", "",
         [("revenue", 0, "current"), ("revenue", -1, "base")])
def _rev_growth(ctx):
    return growth(ctx.metric("revenue"), ctx.metric("revenue", -1))


for _k in (2, 3, 4):
    derived(f"revenue_cagr_{_k}y", "ratio", f"近{_k}年营业收入复合增长率", f"Revenue CAGR over {_k} years",
            "", [("revenue", 0, "current"), ("revenue", -_k, "base")],
            doc=f"(revenue(Y) / revenue(Y-{_k}))^(1/{_k}) - 1")(
        lambda ctx, k=_k: cagr(ctx.metric("revenue"), ctx.metric("revenue", -k), k))


# A past year's figure cannot be changed now: these are facts of record, not moves.
@derived("revenue_4y_ago", "money", "4年前营业收入", "Revenue of Y-4", "CNY", [("revenue", -4)], actionable=False)
def _rev_4y_ago(ctx):
    return ctx.metric("revenue", -4)


@derived("revenue_3y_ago", "money", "3年前营业收入", "Revenue of Y-3", "CNY", [("revenue", -3)], actionable=False)
def _rev_3y_ago(ctx):
    return ctx.metric("revenue", -3)


@derived("employees_3y_ago", "count", "3年前从业人员", "Employees in Y-3", "persons", [("employees", -3)],
         actionable=False)
def _emp_3y_ago(ctx):
    return ctx.metric("employees", -3)


@derived("employees_growth", "ratio", "从业人员增长率", "Employee growth", "",
         [("employees", 0, "current"), ("employees", -1, "base")])
def _emp_growth(ctx):
    return growth(ctx.metric("employees"), ctx.metric("employees", -1))


@derived("employees_cagr_3y", "ratio", "近3年从业人员复合增长率", "Employee CAGR over 3 years", "",
         [("employees", 0, "current"), ("employees", -3, "base")],
         doc="(employees(Y) / employees(Y-3))^(1/3) - 1")
def _emp_cagr_3y(ctx):
    return cagr(ctx.metric("employees"), ctx.metric("employees", -3), 3)


@derived("revenue_avg_3y", "money", "近3年营业收入平均", "Average revenue, 3 years", "CNY",
         _years("revenue", (0, -1, -2)))
def _rev_avg_3y(ctx):
    return sum_over(ctx, "revenue", (0, -1, -2)) / 3.0


@derived("main_business_revenue_avg_3y", "money", "近3年主营业务收入平均",
         "Average main-business revenue, 3 years", "CNY", _years("main_business_revenue", (0, -1, -2)))
def _mb_avg_3y(ctx):
    return sum_over(ctx, "main_business_revenue", (0, -1, -2)) / 3.0


@derived("debt_ratio", "ratio", "资产负债率", "Debt-to-asset ratio", "",
         [("total_liabilities", 0, "numerator"), ("total_assets", 0, "denominator")])
def _debt_ratio(ctx):
    return ratio(ctx.metric("total_liabilities"), ctx.metric("total_assets"))


@derived("net_margin", "ratio", "净利润率", "Net profit margin", "",
         [("net_profit", 0, "numerator"), ("revenue", 0, "denominator")])
def _net_margin(ctx):
    return ratio(ctx.metric("net_profit"), ctx.metric("revenue"))


@derived("rd_staff_ratio", "ratio", "研发人员占比", "R&D staff / employees", "",
         [("rd_staff", 0, "numerator"), ("employees", 0, "denominator")])
def _rd_staff_ratio(ctx):
    return ratio(ctx.metric("rd_staff"), ctx.metric("employees"))


@derived("years_in_niche", "number", "从事细分市场年限", "Years in the niche market", "years",
         [("niche_since", None)], actionable=False, clock=Clock("niche_since", "end_of_year"), precision=1.0,
         doc="years from the first whole year after niche_since to the end of Y (= Y − niche_since)")
def _years_in_niche(ctx):
    return years_between(start_of_year_count(ctx.attribute("niche_since")), end_of_year(ctx.fiscal_year))


@derived("company_age", "number", "成立年限", "Company age", "years", [("founded_on", None)],
         actionable=False, clock=Clock("founded_on", "as_of"),
         doc="exact years from founded_on to as_of (calendar arithmetic, durations.py)")
def _company_age_var(ctx):
    return years_between(ctx.attribute("founded_on"), day_of(ctx.as_of))


@derived("company_age_end_of_year", "number", "上年末成立年限", "Company age at the end of the prior year", "years",
         [("founded_on", None)], actionable=False, clock=Clock("founded_on", "end_of_year"),
         doc="exact years from founded_on to the end of Y: 'registered in year Y−4 or later' is ≤ 5")
def _company_age_end_of_year(ctx):
    return years_between(ctx.attribute("founded_on"), end_of_year(ctx.fiscal_year))


@derived("equity_financing_2y", "money", "近2年新增股权融资", "Equity financing, Y and Y-1", "CNY",
         _years("equity_financing", (0, -1)))
def _eq_2y(ctx):
    return sum_over(ctx, "equity_financing", (0, -1))


@derived("equity_financing_3y", "money", "近3年新增股权融资", "Equity financing, Y to Y-2", "CNY",
         _years("equity_financing", (0, -1, -2)))
def _eq_3y(ctx):
    return sum_over(ctx, "equity_financing", (0, -1, -2))


@derived("is_sme", "bool", "符合中小企业划型标准", "Within the SME size standard", "",
         [("sector", None), ("employees", 0), ("revenue", 0), ("total_assets", 0)], actionable=False,
         doc="employees < max_employees OR revenue < max_revenue OR total_assets < max_total_assets "
             "of the sector's size standard (parameters['size_standards']; a null limit is a "
             "criterion the sector does not have); three-valued OR")
def _is_sme_var(ctx):
    return sme_by_size_standard(ctx)


@derived("st_award_level_3y", "ordinal", "近3年最高科技奖励级别", "Best S&T award level, 3 years", "",
         _years("st_award_level", (0, -1, -2)), choices=AWARD_LEVELS)
def _award_level_3y(ctx):
    return max_over(ctx, "st_award_level", (0, -1, -2))


@derived("national_award_best_rank_3y", "count", "近3年国家级科技奖励最好排名",
         "Best rank in a national S&T award, 3 years", "rank",
         _years("st_award_level", (0, -1, -2)) + _years("st_award_rank", (0, -1, -2)),
         may_be_infinite=True)
def _national_rank(ctx):
    return best_rank(ctx, "national")


@derived("provincial_award_best_rank_3y", "count", "近3年省级及以上科技奖励最好排名",
         "Best rank in a provincial-or-higher S&T award, 3 years", "rank",
         _years("st_award_level", (0, -1, -2)) + _years("st_award_rank", (0, -1, -2)),
         may_be_infinite=True)
def _provincial_rank(ctx):
    return best_rank(ctx, "provincial")


@derived("chuangke_rank_3y", "ordinal", "近3年创客中国最好名次", "Best Chuangke China result, 3 years",
         "", _years("chuangke_rank", (0, -1, -2)), choices=CHUANGKE_RANKS)
def _chuangke_3y(ctx):
    return max_over(ctx, "chuangke_rank", (0, -1, -2))


@derived("platform_score_prev", "number", "上一年专精特新发展评价得分", "Platform score of Y-1", "points",
         [("platform_score", -1)])
def _platform_prev(ctx):
    return ctx.metric("platform_score", -1)


@derived("platform_score_best_2y", "number", "近2年专精特新发展评价最高分", "Best platform score, 2 years",
         "points", _years("platform_score", (0, -1)))
def _platform_best(ctx):
    return max_over(ctx, "platform_score", (0, -1))
