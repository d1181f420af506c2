"""Per-enterprise explanations, rebuilt on demand from a TierOutcome.

Node outcomes come from the stored bit arrays; values, points and gaps come from re-running the same
vectorised code on a one-row slice of the facts (cheap: one row, a few dozen nodes).
"""

from __future__ import annotations

import numpy as np

from .definition import GroupNode, Indicator, Node, NotNode, ScoreNode, TestNode, TierNode, iter_nodes
from .facts import decode_value
from .fields import FIELDS
from .gap_notes import criterion_note, timing
from .logic import ELIGIBLE, STATUS_NAMES, TreeEvaluator, absolute_gap, closer, relative_gap
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
        self.tier_names = evaluation.parameters.get("tier_names") or {}

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
            entry["gap"] = {"absolute": absolute, "relative": round(relative, 6)}
        return entry

    # -- nodes -------------------------------------------------------------------------------------

    def nodes(self) -> list[dict]:
        out: list[dict] = []

        def walk(node: Node, depth: int, parent: str | None):
            result = self.tree.results[node.id]
            entry = {"id": node.id, "kind": node.kind, "label": _label(node), "reference": node.reference,
                     "depth": depth, "parent": parent, "outcome": self.outcomes[node.id],
                     "failing_count": int(result.failing[0]), "shortfall": round(float(result.shortfall[0]), 6)}
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
        if ind.kind in ("bands", "points"):
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
        """Failing criteria on the closest path (as counted by failing_count), those the enterprise
        can act on first (smallest shortfall first), then those it cannot (an age, a window, a
        listing, an exclusion), each with a note saying what to do or why nothing can be done."""
        found: list[dict] = []

        def walk(node: Node):
            result = self.tree.results[node.id]
            if result.passed[0] or result.failing[0] == 0:
                return
            if isinstance(node, GroupNode) and node.kind == "all":
                for child in node.children:
                    walk(child)
            elif isinstance(node, GroupNode):
                # Same choice as the vectorised any: fewest fixed, fewest failing, smallest shortfall, first.
                best = node.children[0]
                for child in node.children[1:]:
                    a, b = self.tree.results[child.id], self.tree.results[best.id]
                    if closer(a.fixed, a.failing, a.shortfall, b.fixed, b.failing, b.shortfall)[0]:
                        best = child
                walk(best)
            else:
                found.append(self.failing_entry(node, result))

        walk(self.ruleset.root)
        found.sort(key=lambda entry: (not entry["actionable"], entry["shortfall"]))
        return found

    def failing_entry(self, node: Node, result) -> dict:
        entry = {"id": node.id, "kind": node.kind, "label": _label(node), "reference": node.reference,
                 "shortfall": round(float(result.shortfall[0]), 6), "actionable": not result.fixed[0]}
        if isinstance(node, TestNode):
            cond = node.condition
            value = self.value_of(cond.variable)
            entry.update(self.condition_entry(cond, value, True))
            var = VARIABLES[cond.variable]
            if var.clock is not None:
                entry["timing"] = timing(var, cond, value, self.ctx)
        elif isinstance(node, TierNode):
            status = result.detail["status"]
            entry.update({"tier": node.tier, "require": node.require,
                          "tier_status": None if status is None else STATUS_NAMES[int(status[0])],
                          "designated": bool(result.detail["holds"][0])})
        entry["note"] = criterion_note(entry, self.tier_names)
        return entry

    def facts_to_collect(self) -> list[dict]:
        """Missing facts behind the unknown tests and score indicators that the verdict still depends
        on (nothing under a passed node), with their fiscal years."""
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

        def walk(node: Node):
            outcome = self.outcomes[node.id]
            if outcome == "passed":
                return
            if isinstance(node, GroupNode):
                for child in node.children:
                    walk(child)
            elif isinstance(node, NotNode):
                walk(node.child)
            elif outcome == "unknown" and isinstance(node, TestNode):
                note(node.condition.variable, node.id)
            elif outcome == "unknown" and isinstance(node, ScoreNode):
                for ind in node.indicators:
                    for variable in _indicator_variables(ind):
                        if np.isnan(self.value_of(variable)):
                            note(variable, ind.id)

        walk(self.ruleset.root)
        facts = list(needed.values())
        for variable, node_ids in uncomputable.items():
            facts.append({"variable": variable, "fiscal_year": self.ctx.fiscal_year, "needed_by": node_ids,
                          "reason": "cannot be computed from the facts given (for example a zero "
                                    "denominator or a sector without a size standard)"})
        return facts

    def score_gaps(self) -> list[dict]:
        gaps = []
        for node in iter_nodes(self.ruleset.root):
            if not isinstance(node, ScoreNode) or self.outcomes[node.id] == "passed":
                continue
            detail = self.tree.results[node.id].detail
            total = float(detail["total"][0][0])
            dims = {d: float(a[0]) for d, a in detail["dimensions"][0].items()}
            points = {ind.id: float(detail["indicators"][ind.id][0][0]) for ind in node.indicators}
            gaps.append({
                "id": node.id,
                "score": total,
                "score_range": {"low": total, "high": float(detail["total"][1][0])},
                "min_total": node.min_total,
                "points_short": max(node.min_total - total, 0.0),
                "dimensions_short": {d.id: d.min - dims[d.id] for d in node.dimensions
                                     if dims[d.id] < d.min},
                "moves": cheapest_moves(node, self.ctx, points, dims, total),
            })
        return gaps


def criterion_actionable(node: Node) -> bool:
    """Whether an enterprise can change a failing criterion by what it does: a test on an actionable
    variable, a title to obtain or a score to raise can be acted on; an exclusion (``not``) cannot."""
    if isinstance(node, TestNode):
        return VARIABLES[node.condition.variable].actionable
    return not isinstance(node, NotNode)


def _indicator_variables(ind: Indicator) -> list[str]:
    if ind.kind in ("bands", "points"):
        return [ind.variable]
    if ind.kind == "sum":
        return [item.condition.variable for item in ind.items]
    return [v for sub in ind.items for v in _indicator_variables(sub)]


def _score_summary(explainer: _RowExplainer, outcome, row: int) -> dict:
    """The score as a user should read it: the points when the facts fix them (else null, with the
    range they could take), and whether an eligible result passed by a direct condition instead."""
    first = next((n for n in iter_nodes(outcome.ruleset.root) if isinstance(n, ScoreNode)), None)
    if first is None:
        return {"score": None, "score_range": None, "passed_directly": False}
    low, high = (float(a[0]) for a in explainer.tree.results[first.id].detail["total"])
    return {
        "score": low if low == high else None,
        "score_range": {"low": low, "high": high},
        "passed_directly": int(outcome.status[row]) == ELIGIBLE and explainer.outcomes[first.id] != "passed",
    }


def explain_row(outcome, row: int) -> dict:
    """The explanation dict of one row of a TierOutcome (see TierOutcome.explain)."""
    explainer = _RowExplainer(outcome, row)
    evaluation = outcome._evaluation
    ruleset = outcome.ruleset
    return {
        "tier": outcome.tier,
        "ruleset": {"version": ruleset.version, "reference": ruleset.reference, "mode": ruleset.mode,
                    "granted_from": _iso(ruleset.granted_from), "granted_to": _iso(ruleset.granted_to)},
        "as_of": evaluation.as_of.isoformat(),
        "fiscal_year": evaluation.fiscal_year,
        "status": outcome.status_name(row),
        **_score_summary(explainer, outcome, row),
        "failing_count": int(outcome.failing_count[row]),
        "fixed_count": int(outcome.fixed_count[row]),
        "shortfall": round(float(outcome.shortfall[row]), 6),
        "near_miss": bool(outcome.near_miss[row]),
        "nodes": explainer.nodes(),
        "gaps": {
            "failing": explainer.failing_on_closest_path(),
            "facts_to_collect": explainer.facts_to_collect(),
            "scores": explainer.score_gaps(),
        },
    }


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()
