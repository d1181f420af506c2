"""Per-enterprise explanations, rebuilt on demand from a TierOutcome.

Node outcomes come from the stored bit arrays; values, points and gaps come from re-running the same
vectorised code on a one-row slice of the facts (cheap: one row, a few dozen nodes).
"""

from __future__ import annotations

import numpy as np

from .definition import GroupNode, Indicator, Node, NotNode, ScoreNode, TestNode, TierNode
from .facts import decode_value
from .fields import FIELDS
from .logic import STATUS_NAMES, TreeEvaluator, absolute_gap, relative_gap
from .scoring import cheapest_moves, indicator_points
from .variables import VARIABLES, VariableContext


def describe_value(variable: str, value: float):
    """A plain value for a variable's encoded value (choice names, bools, ISO dates; None missing)."""
    var = VARIABLES[variable]
    return decode_value(var.kind, var.choices, float(value))


def _label(obj) -> dict:
    return {"zh": obj.label.zh, "en": obj.label.en}


class _RowExplainer:
    def __init__(self, outcome, row: int):
        evaluation = outcome._evaluation
        self.outcome, self.row = outcome, row
        self.ruleset = outcome.ruleset
        facts = evaluation.facts.take([row])
        self.ctx = VariableContext(facts, fiscal_year=evaluation.fiscal_year, as_of=evaluation.as_of,
                                   parameters=evaluation.parameters)
        statuses = {t: s[row:row + 1] for t, s in evaluation.statuses.items() if t != outcome.tier}
        self.tree = TreeEvaluator(self.ctx, statuses, record=True)
        self.tree.run(self.ruleset.root)
        self.outcomes = outcome.node_outcomes(row)

    # -- values ------------------------------------------------------------------------------------

    def value_of(self, variable: str) -> float:
        return float(self.ctx.value(variable)[0])

    def inputs_of(self, variable: str) -> list[dict]:
        var = VARIABLES[variable]
        if not var.derived:
            return []
        out = []
        for inp in var.inputs:
            year = None if inp.offset is None else self.ctx.fiscal_year + inp.offset
            field = FIELDS[inp.field]
            raw = self.ctx.facts.raw_value(inp.field, year, 0)
            out.append({"field": inp.field, "fiscal_year": year, "role": inp.role or None,
                        "value": decode_value(field.kind, field.choices, raw)})
        return out

    def missing_inputs(self, variable: str) -> list[tuple[str, int | None]]:
        var = VARIABLES[variable]
        missing = []
        for inp in var.inputs:
            year = None if inp.offset is None else self.ctx.fiscal_year + inp.offset
            if np.isnan(self.ctx.facts.raw_value(inp.field, year, 0)):
                missing.append((inp.field, year))
        return missing

    def condition_entry(self, cond, value: float, failed: bool) -> dict:
        var = VARIABLES[cond.variable]
        entry = {"variable": cond.variable, "unit": var.unit, "value": describe_value(cond.variable, value),
                 "op": cond.op, "threshold": cond.raw_threshold}
        inputs = self.inputs_of(cond.variable)
        if inputs:
            entry["inputs"] = inputs
        if failed:
            absolute = absolute_gap(cond, value)
            relative = relative_gap(cond, np.array([value]))
            relative = float(np.asarray(relative, dtype=float).reshape(-1)[0])
            entry["gap"] = {"absolute": absolute, "relative": relative}
        return entry

    # -- nodes -------------------------------------------------------------------------------------

    def nodes(self) -> list[dict]:
        out: list[dict] = []

        def walk(node: Node, depth: int, parent: str | None):
            result = self.tree.results[node.id]
            entry = {"id": node.id, "kind": node.kind, "label": _label(node), "reference": node.reference,
                     "depth": depth, "parent": parent, "outcome": self.outcomes[node.id],
                     "failing_count": int(result.failing[0]), "shortfall": float(result.shortfall[0])}
            out.append(entry)
            if isinstance(node, TestNode):
                entry.update(self.condition_entry(node.condition, self.value_of(node.condition.variable),
                                                  entry["outcome"] == "failed"))
            elif isinstance(node, TierNode):
                status = result.detail["status"]
                entry.update({"tier": node.tier, "require": node.require,
                              "tier_status": None if status is None else STATUS_NAMES[int(status[0])],
                              "designated": bool(result.detail["holds"][0])})
            elif isinstance(node, ScoreNode):
                entry.update(self.score_entry(node))
            elif isinstance(node, GroupNode):
                entry["children"] = [c.id for c in node.children]
                for child in node.children:
                    walk(child, depth + 1, node.id)
            elif isinstance(node, NotNode):
                entry["children"] = [node.child.id]
                walk(node.child, depth + 1, node.id)

        walk(self.ruleset.root, 0, None)
        return out

    def score_entry(self, node: ScoreNode) -> dict:
        detail = self.tree.results[node.id].detail
        (total_low, total_high), (dim_low, dim_high) = detail["total"], detail["dimensions"]
        return {
            "min_total": node.min_total,
            "score": {"low": float(total_low[0]), "high": float(total_high[0])},
            "dimensions": [{"id": d.id, "label": _label(d), "min": d.min,
                            "score": {"low": float(dim_low[d.id][0]), "high": float(dim_high[d.id][0])}}
                           for d in node.dimensions],
            "indicators": [self.indicator_entry(ind, detail["indicators"][ind.id]) for ind in node.indicators],
        }

    def indicator_entry(self, ind: Indicator, points=None) -> dict:
        if points is None:
            points = indicator_points(ind, self.ctx)
        low, high = float(points[0][0]), float(points[1][0])
        entry = {"id": ind.id, "kind": ind.kind, "label": _label(ind), "reference": ind.reference,
                 "dimension": ind.dimension, "max_points": ind.max_points,
                 "points": {"low": low, "high": high}}
        if ind.kind == "bands":
            value = self.value_of(ind.variable)
            entry.update({"variable": ind.variable, "value": describe_value(ind.variable, value)})
            inputs = self.inputs_of(ind.variable)
            if inputs:
                entry["inputs"] = inputs
        elif ind.kind == "sum":
            entry["cap"] = ind.cap
            entry["items"] = []
            for item in ind.items:
                value = self.value_of(item.condition.variable)
                outcome = self.test_outcome(item.condition, value)
                entry["items"].append({"id": item.id, "label": _label(item), "reference": item.reference,
                                       "points": item.points,
                                       "outcome": outcome,
                                       **self.condition_entry(item.condition, value, outcome == "failed")})
        else:
            entry["items"] = [self.indicator_entry(sub) for sub in ind.items]
        return entry

    @staticmethod
    def test_outcome(cond, value: float) -> str:
        from .logic import compare

        passed, failed = compare(cond, np.array([value]))
        return "passed" if passed[0] else "failed" if failed[0] else "unknown"

    # -- gaps --------------------------------------------------------------------------------------

    def failing_on_closest_path(self) -> list[dict]:
        """Failing criteria on the closest path (as counted by failing_count)."""
        found: list[dict] = []

        def walk(node: Node):
            result = self.tree.results[node.id]
            if result.passed[0] or result.failing[0] == 0:
                return
            if isinstance(node, GroupNode) and node.kind == "all":
                for child in node.children:
                    walk(child)
            elif isinstance(node, GroupNode):
                # Same choice as the vectorised any: fewest failing, then smallest shortfall, first.
                best = min(node.children, key=lambda c: (int(self.tree.results[c.id].failing[0]),
                                                         float(self.tree.results[c.id].shortfall[0])))
                walk(best)
            else:
                entry = {"id": node.id, "kind": node.kind, "label": _label(node),
                         "reference": node.reference, "shortfall": float(result.shortfall[0])}
                if isinstance(node, TestNode):
                    entry.update(self.condition_entry(node.condition,
                                                      self.value_of(node.condition.variable), True))
                elif isinstance(node, TierNode):
                    entry.update({"tier": node.tier, "require": node.require})
                found.append(entry)

        walk(self.ruleset.root)
        return found

    def facts_to_collect(self) -> list[dict]:
        """Missing facts behind unknown tests and unknown score indicators, with their fiscal years."""
        needed: dict[tuple, dict] = {}
        uncomputable: dict[str, list[str]] = {}

        def note(variable: str, node_id: str):
            missing = self.missing_inputs(variable)
            if not missing:
                uncomputable.setdefault(variable, []).append(node_id)
            for field, year in missing:
                entry = needed.setdefault((field, year), {"field": field, "fiscal_year": year,
                                                           "needed_by": []})
                if node_id not in entry["needed_by"]:
                    entry["needed_by"].append(node_id)

        for node in _iter(self.ruleset.root):
            if self.outcomes[node.id] != "unknown":
                continue
            if isinstance(node, TestNode):
                note(node.condition.variable, node.id)
            elif isinstance(node, ScoreNode):
                for ind in node.indicators:
                    for variable in _indicator_variables(ind):
                        if np.isnan(self.value_of(variable)):
                            note(variable, ind.id)
        facts = list(needed.values())
        for variable, node_ids in uncomputable.items():
            facts.append({"variable": variable, "fiscal_year": self.ctx.fiscal_year, "needed_by": node_ids,
                          "reason": "cannot be computed from the facts given (for example a zero "
                                    "denominator or a sector without a size standard)"})
        return facts

    def score_gaps(self) -> list[dict]:
        gaps = []
        for node in _iter(self.ruleset.root):
            if not isinstance(node, ScoreNode) or self.outcomes[node.id] == "passed":
                continue
            detail = self.tree.results[node.id].detail
            total = float(detail["total"][0][0])
            dims = {d: float(a[0]) for d, a in detail["dimensions"][0].items()}
            points = {ind.id: float(detail["indicators"][ind.id][0][0]) for ind in node.indicators}
            gaps.append({
                "id": node.id,
                "score": total,
                "min_total": node.min_total,
                "points_short": max(node.min_total - total, 0.0),
                "dimensions_short": {d.id: d.min - dims[d.id] for d in node.dimensions
                                     if dims[d.id] < d.min},
                "moves": cheapest_moves(node, self.ctx, points, dims, total),
            })
        return gaps


def _iter(node: Node):
    from .definition import iter_nodes

    return iter_nodes(node)


def _indicator_variables(ind: Indicator) -> list[str]:
    if ind.kind == "bands":
        return [ind.variable]
    if ind.kind == "sum":
        return [item.condition.variable for item in ind.items]
    return [v for sub in ind.items for v in _indicator_variables(sub)]


def explain_row(outcome, row: int) -> dict:
    """The explanation dict of one row of a TierOutcome (see TierOutcome.explain)."""
    explainer = _RowExplainer(outcome, row)
    evaluation = outcome._evaluation
    ruleset = outcome.ruleset
    return {
        "tier": outcome.tier,
        "ruleset": {"version": ruleset.version, "reference": ruleset.reference},
        "as_of": evaluation.as_of.isoformat(),
        "fiscal_year": evaluation.fiscal_year,
        "status": outcome.status_name(row),
        "score": None if np.isnan(outcome.score[row]) else float(outcome.score[row]),
        "failing_count": int(outcome.failing_count[row]),
        "shortfall": float(outcome.shortfall[row]),
        "near_miss": bool(outcome.near_miss[row]),
        "nodes": explainer.nodes(),
        "gaps": {
            "failing": explainer.failing_on_closest_path(),
            "facts_to_collect": explainer.facts_to_collect(),
            "scores": explainer.score_gaps(),
        },
    }
