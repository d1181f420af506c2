"""What an enterprise lacks, as the official gap columns read: criterion, actual value, requirement,
shortfall — for a capped list of results at once.

A stored result keeps its failing and unknown criteria as bitmaps (decoded by the selectors'
``failing_criteria``), not the values. The values are recomputed here, set-based, the way the
recompute computes them: the facts of all the listed enterprises are read with the pipeline's loader
in a handful of queries, and each variable is computed once, vectorised, over all of them.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from django.utils.translation import gettext as _

from tracker.models import Cluster
from tracker.pipeline.cluster_ranks import ClusterRevenueRanks
from tracker.pipeline.facts_loader import Slice, load_chunk_facts
from tracker.reports.sections import CriterionGap
from tracker.rules.facts import date_from_day_number
from tracker.rules.fields import SECTOR_LABELS
from tracker.rules.variables import VARIABLES, VariableContext
from tracker.selectors.results import failing_criteria
from tracker.selectors.rulesets import engine_parameters

# Labels of the engine's choice codes, as the lists show them.
CHOICE_LABELS = {
    **{value: str(label) for value, label in Cluster.Group.choices},
    **{code: zh for code, (zh, _en) in SECTOR_LABELS.items()},
    "none": "无", "provincial": "省级", "national": "国家级", "top500": "500强", "top50": "50强",
}

OP_SIGNS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "ne": "≠"}


def format_value(variable: str, value: float | None) -> str:
    """A value with its unit, money in 万元 with two decimals and separators; "缺数据" when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("缺数据")
    var = VARIABLES.get(variable)
    kind = var.kind if var else "number"
    if kind == "money":
        return f"{value / 10_000:,.2f}万元"
    if kind == "money_usd":
        return f"{value / 10_000:,.2f}万美元"
    if kind == "ratio":
        return f"{value * 100:.2f}%"
    if kind == "bool":
        return _("是") if value else _("否")
    if kind in ("ordinal", "category") and var and var.choices and 0 <= int(value) < len(var.choices):
        return choice_label(var.choices[int(value)])
    if kind == "date" and not math.isinf(value):
        return date_from_day_number(value).isoformat()
    if math.isinf(value):
        return _("无")
    if kind in ("count", "year") or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def choice_label(code) -> str:
    return CHOICE_LABELS.get(str(code), str(code))


def format_requirement(item: dict) -> str:
    op, threshold, variable = item.get("op"), item.get("threshold"), item.get("variable")
    if op is None:
        return ""
    if op == "is_true":
        return _("是")
    if op == "is_false":
        return _("否")
    if op == "between" and isinstance(threshold, (list, tuple)):
        return f"{format_value(variable, float(threshold[0]))} – {format_value(variable, float(threshold[1]))}"
    if op == "in" and isinstance(threshold, (list, tuple)):
        return "、".join(choice_label(v) for v in threshold)
    if isinstance(threshold, (int, float)):
        return f"{OP_SIGNS.get(op, op)} {format_value(variable, float(threshold))}"
    return f"{OP_SIGNS.get(op, op)} {choice_label(threshold)}"


def shortfall(item: dict, value: float | None) -> str:
    """差 …: how far the value is from an order threshold, in the variable's unit; "" when unknown."""
    op, threshold, variable = item.get("op"), item.get("threshold"), item.get("variable")
    if value is None or math.isnan(value) or math.isinf(value) or not isinstance(threshold, (int, float)):
        return ""
    if op in ("gte", "gt") and value < threshold:
        return _("差 %(gap)s") % {"gap": format_value(variable, float(threshold) - value)}
    if op in ("lte", "lt") and value > threshold:
        return _("超 %(gap)s") % {"gap": format_value(variable, value - float(threshold))}
    return ""


class GapReader:
    """The gaps of many results at once, kept by result id: the reports of one night share the reader
    (and ``ranks``), and a result listed in the province's report and its city's is read once."""

    def __init__(self, *, as_of: dt.date, fiscal_year: int, per_cluster: frozenset[str],
                 ranks: ClusterRevenueRanks | None = None):
        self.as_of, self.fiscal_year, self.per_cluster = as_of, fiscal_year, per_cluster
        self.ranks = ranks or ClusterRevenueRanks()
        self.parameters = engine_parameters()
        self.known: dict[int, list[CriterionGap]] = {}

    def gaps(self, results: list) -> dict[int, list[CriterionGap]]:
        """Result id → its failing criteria with values. ``results`` are EligibilityResult rows."""
        missing = list({r.pk: r for r in results if r.pk not in self.known}.values())
        if missing:
            self.known.update(self._read(missing))
        return {r.pk: self.known[r.pk] for r in results}

    def _read(self, results: list) -> dict[int, list[CriterionGap]]:
        if not results:
            return {}
        criteria = failing_criteria(results)
        values = self._values(results, {item["variable"] for items in criteria.values() for item in items
                                        if item.get("variable")})
        out = {}
        for result in results:
            gaps = []
            for item in criteria.get(result.pk, []):
                variable = item.get("variable")
                value = values.get((result.enterprise_id, result.cluster_id or 0, variable)) if variable else None
                gaps.append(CriterionGap(
                    criterion=item["label"]["zh"],
                    actual=format_value(variable, value) if variable else "",
                    required=format_requirement(item),
                    shortfall=shortfall(item, value) if variable else "",
                    actionable=bool(item.get("actionable", True)),
                ))
            out[result.pk] = gaps
        return out

    def _values(self, results: list, variables: set[str]) -> dict[tuple[int, int, str], float | None]:
        """(enterprise, cluster or 0, variable) → value, computed once per variable over every row."""
        ids = sorted({r.enterprise_id for r in results})
        if not ids or not variables:
            return {}
        chunk = load_chunk_facts(
            part=Slice(ids[0], ids[-1], tuple(ids)), fiscal_year=self.fiscal_year, as_of=self.as_of,
            cluster_ranks=self.report_ranks(), per_cluster=self.per_cluster,
        )
        return chunk_values(chunk, variables, fiscal_year=self.fiscal_year, as_of=self.as_of,
                            parameters=self.parameters)

    def report_ranks(self):
        """The revenue ranks of this reader's run (the snapshot is read once for all the night's reports)."""
        return self.ranks.for_run(("report", self.fiscal_year, self.as_of))


def chunk_values(chunk, variables: set[str], *, fiscal_year: int, as_of: dt.date,
                 parameters: dict) -> dict[tuple[int, int, str], float | None]:
    """(enterprise, cluster or 0, variable) → value over a loaded chunk of facts, each variable computed
    once for every row: the enterprise rows, then the membership rows (cluster tiers: the rank)."""
    out: dict[tuple[int, int, str], float | None] = {}
    tables = [(chunk.facts, chunk.enterprise_ids, np.zeros(len(chunk.enterprise_ids), dtype=np.int64))]
    if chunk.cluster_facts.n:
        tables.append((chunk.cluster_facts, chunk.enterprise_ids[chunk.member_rows], chunk.member_cluster_ids))
    for facts, enterprise_ids, cluster_ids in tables:
        ctx = VariableContext(facts, fiscal_year=fiscal_year, as_of=as_of, parameters=parameters)
        for variable in variables:
            column = ctx.value(variable)
            for enterprise, cluster, value in zip(enterprise_ids.tolist(), cluster_ids.tolist(),
                                                  column.tolist(), strict=True):
                out[(enterprise, cluster, variable)] = None if value != value else value
    return out
