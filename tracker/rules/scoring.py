"""Score nodes: indicator points as intervals, dimension minimums, and the cheapest band moves.

An indicator whose variable is missing scores the interval [otherwise, max_points]; the node passes
when the lowest possible totals pass, fails when the highest possible totals fail, and is unknown
otherwise. The reported score is the lower bound, and so is the shortfall (points short of the
reported score / min_total, or of a dimension's reported score / its minimum, whichever is larger).
"""

from __future__ import annotations

import numpy as np

from .definition import Indicator, ScoreNode
from .logic import TINY, NodeResult, compare, relative_gap
from .variables import VARIABLES


def indicator_points(ind: Indicator, ctx) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) points arrays of one indicator."""
    if ind.kind == "points":
        # Points read from an attested input (a province's 特色化 points), bounded by max_points.
        v = ctx.value(ind.variable)
        points = np.clip(np.where(np.isnan(v), ind.otherwise, v), 0.0, ind.max_points)
        return points, np.where(np.isnan(v), ind.max_points, points)
    if ind.kind == "bands":
        v = ctx.value(ind.variable)
        points = np.full(v.shape[0], ind.otherwise)
        # Walk the bands bottom-up so that the first passing band (top-most) wins.
        for band in reversed(ind.bands):
            passed, _ = compare(band.condition, v)
            np.copyto(points, band.points, where=passed)
        return points, np.where(np.isnan(v), ind.max_points, points)
    if ind.kind == "sum":
        n = ctx.facts.n
        low, high = np.zeros(n), np.zeros(n)
        for item in ind.items:
            passed, failed = compare(item.condition, ctx.value(item.condition.variable))
            low += passed * item.points
            high += ~failed * item.points
        return np.minimum(low, ind.cap), np.minimum(high, ind.cap)
    lows, highs = zip(*(indicator_points(sub, ctx) for sub in ind.items), strict=True)
    return np.maximum.reduce(lows), np.maximum.reduce(highs)


def evaluate_score(node: ScoreNode, evaluator) -> NodeResult:
    """Evaluate a score node over all rows (see the module docstring for the interval rule)."""
    ctx = evaluator.ctx
    n = ctx.facts.n
    dim_low = {d.id: np.zeros(n) for d in node.dimensions}
    dim_high = {d.id: np.zeros(n) for d in node.dimensions}
    total_low, total_high = np.zeros(n), np.zeros(n)
    per_indicator = {}
    for ind in node.indicators:
        low, high = indicator_points(ind, ctx)
        total_low += low
        total_high += high
        dim_low[ind.dimension] += low
        dim_high[ind.dimension] += high
        if evaluator.record:
            per_indicator[ind.id] = (low, high)
    passed = total_low >= node.min_total
    failed = total_high < node.min_total
    short = np.maximum(node.min_total - total_low, 0.0) / max(node.min_total, TINY)
    for d in node.dimensions:
        passed &= dim_low[d.id] >= d.min
        failed |= dim_high[d.id] < d.min
        if d.min > 0:
            np.maximum(short, np.maximum(d.min - dim_low[d.id], 0.0) / d.min, out=short)
    result = NodeResult(passed, failed, failed.astype(np.int16), np.zeros(n, dtype=np.int16),
                        np.where(failed, short, 0.0))
    result.detail = {"total": (total_low, total_high), "dimensions": (dim_low, dim_high)}
    if evaluator.record:
        result.detail["indicators"] = per_indicator
    return result


# -- gaps: the cheapest band moves (one row, used by explain) ----------------------------------------

class _MoveState:
    def __init__(self, node: ScoreNode, ctx, points: dict[str, float]):
        self.ctx = ctx
        self.points = dict(points)
        self.sum_extra: dict[str, float] = {}
        self.chosen: set[tuple] = set()
        self.actual = {}
        for ind in node.indicators:
            for sub in (ind.items if ind.kind == "max" else (ind,)):
                if sub.kind == "sum":
                    self.actual[sub.id] = float(indicator_points(sub, ctx)[0][0])


def _candidates(top: Indicator, state: _MoveState) -> list[dict]:
    """Moves raising ``top`` above its current points: the next band up of a bands indicator, a
    failing item of a sum (not chosen yet), and for a max the moves of each of its items. Only
    variables an enterprise can change are moves (years in the niche come with time, not effort);
    attested points have no bands to aim at and give no move."""
    current = state.points[top.id]
    moves = []
    for sub in (top.items if top.kind == "max" else (top,)):
        if sub.kind == "bands" and not VARIABLES[sub.variable].actionable:
            continue
        if sub.kind == "bands":
            value = float(state.ctx.value(sub.variable)[0])
            higher = [b for b in sub.bands if b.points > current]
            if value != value or not higher:
                continue
            target = min(higher, key=lambda b: (b.points, _rel(b.condition, value)))
            moves.append(_move(top, sub, target.condition, value, target.points - current, current))
        elif sub.kind == "sum":
            sub_now = min(sub.cap, state.actual[sub.id] + state.sum_extra.get(sub.id, 0.0))
            for item in sub.items:
                if not VARIABLES[item.condition.variable].actionable:
                    continue
                value = float(state.ctx.value(item.condition.variable)[0])
                _, failed = compare(item.condition, np.array([value]))
                new = min(sub.cap, sub_now + item.points)
                if failed[0] and new > current and (sub.id, item.id) not in state.chosen:
                    move = _move(top, sub, item.condition, value, new - current, current)
                    move["_key"], move["_sum_step"] = (sub.id, item.id), new - sub_now
                    moves.append(move)
    return moves


def _rel(cond, value: float) -> float:
    return float(np.asarray(relative_gap(cond, np.array([value])), dtype=float).reshape(-1)[0])


def _move(top, sub, cond, value, gain, current) -> dict:
    from .explain import describe_value

    return {
        "indicator": top.id,
        "dimension": top.dimension,
        "via": sub.id if sub is not top else None,
        "variable": cond.variable,
        "value": describe_value(cond.variable, value),
        "needed": {"op": cond.op, "threshold": cond.raw_threshold},
        "points_from": current,
        "points_to": current + gain,
        "points_gained": gain,
        "relative_change": _rel(cond, value),
    }


def cheapest_moves(node: ScoreNode, ctx, points: dict[str, float], dim_scores: dict[str, float],
                   total: float) -> list[dict]:
    """Greedy: repeatedly take the move with the smallest relative change per point gained (first
    among moves in a dimension still under its minimum) until the total and every dimension reach
    their minimums or no move is left. ``points`` are the current (low) points per indicator, and
    ``ctx`` a one-row VariableContext."""
    state = _MoveState(node, ctx, points)
    dim_scores = dict(dim_scores)
    mins = {d.id: d.min for d in node.dimensions}
    by_id = {ind.id: ind for ind in node.indicators}
    chosen: list[dict] = []
    while True:
        short_dims = {d for d, m in mins.items() if dim_scores[d] < m}
        if total >= node.min_total and not short_dims:
            break
        candidates = [m for ind in node.indicators for m in _candidates(ind, state)]
        if short_dims:
            candidates = [m for m in candidates if m["dimension"] in short_dims] or candidates
        if not candidates:
            break
        best = min(candidates, key=lambda m: m["relative_change"] / m["points_gained"])
        gain = best["points_gained"]
        state.points[best["indicator"]] += gain
        dim_scores[by_id[best["indicator"]].dimension] += gain
        total += gain
        if "_key" in best:
            state.chosen.add(best.pop("_key"))
            sub_id = best["via"] or best["indicator"]
            state.sum_extra[sub_id] = state.sum_extra.get(sub_id, 0.0) + best.pop("_sum_step")
        chosen.append(best)
    for move in chosen:
        move.pop("_key", None)
        move.pop("_sum_step", None)
    return chosen
