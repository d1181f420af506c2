"""Vectorised three-valued evaluation of a definition tree.

Each node yields two bool arrays, ``passed`` and ``failed`` (unknown = neither), plus the closeness
measures of the closest path: ``failing`` (number of failing criteria), ``fixed`` (how many of those
no enterprise can change: an age, a listing, an exclusion) and ``shortfall`` (the largest normalised
gap among them). The closest branch of an ``any`` is the one with the fewest fixed failures, then the
fewest failures, then the smallest shortfall: a criterion that cannot be changed is never the cheapest
move. NaN compares false in both directions, so a missing value is unknown without any explicit mask:
``v >= t`` is the pass test and ``v < t`` the fail test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .definition import Condition, GroupNode, Node, NotNode, ScoreNode, TestNode, TierNode
from .variables import VARIABLES, VariableContext

ELIGIBLE, NOT_ELIGIBLE, INSUFFICIENT_DATA = 0, 1, 2
STATUS_NAMES = ("eligible", "not_eligible", "insufficient_data")
TINY = 1e-9  # floor of a score node's min_total as a denominator


@dataclass
class NodeResult:
    passed: np.ndarray
    failed: np.ndarray
    failing: np.ndarray  # int16
    fixed: np.ndarray  # int16: failing criteria on the closest path that cannot be changed
    shortfall: np.ndarray  # float64
    detail: dict = field(default_factory=dict)  # only filled when recording (explain)


def compare(cond: Condition, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(passed, failed) of ``v op threshold``; both false where ``v`` is NaN.

    Derived ratios carry float noise (an average growth of exactly 5% computes as 0.0499999…), so
    numbers within EDGE_TOLERANCE (relative) of a threshold count as equal to it: "以上" still passes
    at the edge and "超过" still fails there.
    """
    op, t = cond.op, cond.threshold
    if op in ("in", "between"):
        if op == "between":
            low, high = t
            lo, hi = low - _edge(low), high + _edge(high)
            return (v >= lo) & (v <= hi), (v < lo) | (v > hi)
        passed = v == t[0]
        for code in t[1:]:
            passed |= v == code
        return passed, ~passed & (v == v)
    eps = _edge(t)
    if op == "gte":
        return v >= t - eps, v < t - eps
    if op == "gt":
        return v > t + eps, v <= t + eps
    if op == "lte":
        return v <= t + eps, v > t + eps
    if op == "lt":
        return v < t - eps, v >= t - eps
    if op in ("eq", "is_true", "is_false"):
        return np.abs(v - t) <= eps, np.abs(v - t) > eps
    if op == "ne":
        return np.abs(v - t) > eps, np.abs(v - t) <= eps
    raise AssertionError(op)


EDGE_TOLERANCE = 1e-12  # far below a fen on 亿-sized money, far above float noise


def _edge(threshold: float) -> float:
    return EDGE_TOLERANCE * max(1.0, abs(threshold))


def round_to(value, step: float):
    """``value`` rounded to a multiple of ``step`` (a variable's precision: a power of ten, so a fen
    rounds to 2 decimals without leaving binary noise such as 123.46000000000001)."""
    value = np.asarray(value, dtype=np.float64)
    decimals = -np.log10(step)
    if step < 1 and float(decimals).is_integer():
        return np.round(value, int(decimals))
    return np.round(value / step) * step


def _distance(cond: Condition, v) -> tuple[np.ndarray, np.ndarray]:
    """(distance to passing, the threshold it is measured from) for an order operator."""
    t = cond.threshold
    if cond.op == "between":
        low, high = t
        return np.where(v < low, low - v, v - high), np.where(v < low, low, high)
    return np.abs(v - t), np.full(np.shape(v), float(t))


def relative_gap(cond: Condition, v):
    """Normalised distance from ``v`` to passing, for failing values: the gap (rounded to the variable's
    precision, and at least one step: at a strict bar the value fails by the smallest step) over
    |threshold|, or over the variable's ``zero_scale`` when the threshold is 0; 1.0 for operators
    with no meaningful distance (eq, ne, in, is_true, is_false)."""
    if cond.op not in ("gte", "gt", "lte", "lt", "between"):
        return 1.0
    var = VARIABLES[cond.variable]
    distance, threshold = _distance(cond, np.asarray(v, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        distance = np.maximum(round_to(distance, var.precision), var.precision)
    scale = np.where(threshold == 0, var.zero_scale, np.abs(threshold))
    gap = distance / scale
    if var.may_be_infinite:
        # "No qualifying award" is not a distance: count it like a failed yes/no criterion.
        gap = np.where(np.isinf(v), 1.0, gap)
    return gap


def absolute_gap(cond: Condition, value: float) -> float | None:
    """How far a failing ``value`` is from passing, on the variable's own scale and rounded to its
    precision (never less than one step): gte/gt threshold − value, lte/lt value − threshold,
    between the distance to the nearer edge; None for operators without a distance."""
    if value != value or value in (np.inf, -np.inf) or cond.op not in ("gte", "gt", "lte", "lt", "between"):
        return None
    step = VARIABLES[cond.variable].precision
    distance = float(_distance(cond, np.array([value]))[0][0])
    return float(max(round_to(distance, step), step))


class TreeEvaluator:
    """Evaluates one ruleset's tree over a VariableContext.

    ``tier_status`` maps tier codes evaluated earlier in this evaluation to status arrays.
    With ``record=True`` every node's result is kept (used by explain on one-row contexts).
    """

    def __init__(self, ctx: VariableContext, tier_status: dict[str, np.ndarray], record: bool = False):
        self.ctx = ctx
        self.n = ctx.facts.n
        self.tier_status = tier_status
        self.record = record
        self.results: dict[str, NodeResult] = {}
        self.outcome_bits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.score_details: dict[str, dict] = {}
        self._zeros_i = np.zeros(self.n, dtype=np.int16)
        self._zeros_f = np.zeros(self.n)

    def run(self, node: Node) -> NodeResult:
        result = self._evaluate(node)
        self.outcome_bits[node.id] = (result.passed, result.failed)
        if self.record:
            self.results[node.id] = result
        return result

    def _evaluate(self, node: Node) -> NodeResult:
        if isinstance(node, TestNode):
            return self._test(node)
        if isinstance(node, GroupNode):
            children = [self.run(child) for child in node.children]
            return self._all(children) if node.kind == "all" else self._any(children)
        if isinstance(node, NotNode):
            # An exclusion ("not a single champion"): nothing the enterprise can do about it.
            child = self.run(node.child)
            return self._boolean(child.failed, child.passed, fixed=True)
        if isinstance(node, TierNode):
            return self._tier(node)
        if isinstance(node, ScoreNode):
            from .scoring import evaluate_score

            result = evaluate_score(node, self)
            self.score_details[node.id] = result.detail
            return result
        raise AssertionError(type(node))

    def _boolean(self, passed, failed, *, fixed: bool = False, shortfall=None) -> NodeResult:
        # A yes/no criterion: one failing criterion, shortfall 1.0 when it fails unless given.
        count = failed.astype(np.int16)
        short = failed.astype(np.float64) if shortfall is None else np.where(failed, shortfall, 0.0)
        return NodeResult(passed, failed, count, count if fixed else self._zeros_i, short)

    def _test(self, node: TestNode) -> NodeResult:
        cond = node.condition
        v = self.ctx.value(cond.variable)
        passed, failed = compare(cond, v)
        count = failed.astype(np.int16)
        if VARIABLES[cond.variable].actionable:
            rel = relative_gap(cond, v)
            # A float means "no distance" (eq, in, booleans): a failure then counts 1.0.
            shortfall = failed.astype(np.float64) if isinstance(rel, float) else np.where(failed, rel, 0.0)
            fixed = self._zeros_i
        else:
            # No distance to close: counted like a failed yes/no criterion (and so it does not drift
            # day by day with an age; the explanation still says how far and until when).
            shortfall, fixed = failed.astype(np.float64), count
        result = NodeResult(passed, failed, count, fixed, shortfall)
        if self.record:
            result.detail = {"value": v}
        return result

    def _all(self, children: list[NodeResult]) -> NodeResult:
        first = children[0]
        passed, failed = first.passed.copy(), first.failed.copy()
        failing, fixed, shortfall = first.failing.copy(), first.fixed.copy(), first.shortfall.copy()
        for child in children[1:]:
            passed &= child.passed
            failed |= child.failed
            failing += child.failing
            fixed += child.fixed
            np.maximum(shortfall, child.shortfall, out=shortfall)
        return NodeResult(passed, failed, failing, fixed, shortfall)

    def _any(self, children: list[NodeResult]) -> NodeResult:
        # Closest branch: fewest fixed failures, then fewest failing criteria, then smallest shortfall,
        # then first in order. A passing branch has (0, 0, 0), so a passing ``any`` reports zeros.
        first = children[0]
        passed, failed = first.passed.copy(), first.failed.copy()
        failing, fixed, shortfall = first.failing.copy(), first.fixed.copy(), first.shortfall.copy()
        for child in children[1:]:
            passed |= child.passed
            failed &= child.failed
            better = closer(child.fixed, child.failing, child.shortfall, fixed, failing, shortfall)
            np.copyto(failing, child.failing, where=better)
            np.copyto(fixed, child.fixed, where=better)
            np.copyto(shortfall, child.shortfall, where=better)
        return NodeResult(passed, failed, failing, fixed, shortfall)

    def _tier(self, node: TierNode) -> NodeResult:
        status = self.tier_status.get(node.tier)
        holds = self.ctx.facts.holds(node.tier)
        if status is None:
            # That tier was not evaluated here: its eligibility is unknown, not false.
            eligible = not_eligible = np.zeros(self.n, dtype=bool)
        else:
            eligible, not_eligible = status == ELIGIBLE, status == NOT_ELIGIBLE
        if node.require == "designated":
            # Meeting the other tier's criteria is not holding its title (granted after review and a
            # public notice); when it does meet them, the only step left is to obtain it: distance 0.
            passed, failed = holds.copy(), ~holds
            result = self._boolean(passed, failed, shortfall=np.where(eligible, 0.0, 1.0))
        else:
            if node.require == "eligible":
                passed, failed = eligible, not_eligible
            else:
                passed, failed = eligible | holds, not_eligible & ~holds
            result = self._boolean(passed, failed)
        if self.record:
            result.detail = {"status": status, "holds": holds}
        return result


def closer(fixed_a, failing_a, short_a, fixed_b, failing_b, short_b) -> np.ndarray:
    """Rows where path a is strictly closer than path b: fewer fixed failures, then fewer failures,
    then a smaller shortfall (the order ``any`` and the explanation both use)."""
    return (fixed_a < fixed_b) | ((fixed_a == fixed_b) & (
        (failing_a < failing_b) | ((failing_a == failing_b) & (short_a < short_b))))


def status_of(root: NodeResult) -> np.ndarray:
    """Status codes (int8) from the root's passed/failed arrays."""
    status = np.full(root.passed.shape[0], INSUFFICIENT_DATA, dtype=np.int8)
    status[root.passed] = ELIGIBLE
    status[root.failed] = NOT_ELIGIBLE
    return status
