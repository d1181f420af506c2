"""Evaluate every tier's ruleset over a FactTable, vectorised over rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .definition import ScoreNode, TestNode, dependency_order, iter_nodes, tier_references
from .facts import FactTable
from .logic import ELIGIBLE, INSUFFICIENT_DATA, NOT_ELIGIBLE, STATUS_NAMES, TreeEvaluator, status_of
from .ruleset import Ruleset
from .variables import VARIABLES, VariableContext

__all__ = [
    "ELIGIBLE",
    "INSUFFICIENT_DATA",
    "NOT_ELIGIBLE",
    "STATUS_NAMES",
    "NearMiss",
    "TierOutcome",
    "evaluate",
    "pack_bits",
    "unpack_bits",
]


def pack_bits(columns: list[np.ndarray], n: int) -> np.ndarray:
    """Pack K bool arrays of length n into (n, ceil(K/8)) uint8; bit k (LSB first) = column k."""
    n_bytes = (len(columns) + 7) // 8
    out = np.empty((n, n_bytes), dtype=np.uint8)
    acc = np.empty(n, dtype=np.uint8)
    tmp = np.empty(n, dtype=np.uint8)
    for b in range(n_bytes):
        acc.fill(0)
        for j, column in enumerate(columns[8 * b: 8 * b + 8]):
            np.left_shift(column.view(np.uint8), j, out=tmp)
            acc |= tmp
        out[:, b] = acc
    return out


def unpack_bits(bits: np.ndarray, count: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: an (n, count) bool array."""
    return np.unpackbits(bits, axis=1, count=count, bitorder="little").astype(bool)


@dataclass
class _Evaluation:
    """What explain() needs to rebuild one row: the inputs and every tier's status."""

    facts: FactTable
    fiscal_year: int
    as_of: dt.date
    parameters: dict
    statuses: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class TierOutcome:
    """One tier's results for all rows, as arrays (the compact form the database stores).

    ``failed_bits``/``unknown_bits`` are (n, ceil(len(ruleset.node_index)/8)) uint8: bit k (LSB
    first within each byte) says node ``ruleset.node_index[k]`` failed / was unknown.
    """

    tier: str
    ruleset: Ruleset
    status: np.ndarray
    score: np.ndarray  # the first score node's points when every indicator is known, else NaN
    dimension_scores: dict[str, np.ndarray]
    failing_count: np.ndarray
    fixed_count: np.ndarray  # failing criteria on the closest path that no enterprise can change
    shortfall: np.ndarray
    near_miss: np.ndarray
    failed_bits: np.ndarray
    unknown_bits: np.ndarray
    _evaluation: _Evaluation = field(repr=False)

    def __len__(self) -> int:
        return self.status.shape[0]

    def status_name(self, i: int) -> str:
        return STATUS_NAMES[int(self.status[i])]

    def node_outcomes(self, i: int) -> dict[str, str]:
        """Node id → ``passed`` / ``failed`` / ``unknown`` for row i, read from the bit arrays."""
        k = len(self.ruleset.node_index)
        failed = unpack_bits(self.failed_bits[i:i + 1], k)[0]
        unknown = unpack_bits(self.unknown_bits[i:i + 1], k)[0]
        return {node_id: "failed" if f else "unknown" if u else "passed"
                for node_id, f, u in zip(self.ruleset.node_index, failed, unknown, strict=True)}

    def explain(self, i: int) -> dict:
        """The full explanation of row i: every node in tree order (value with its inputs, operator,
        threshold, outcome, gap, points) and a ``gaps`` summary (failing criteria on the closest
        path, facts to collect, points short and the cheapest band moves of score nodes)."""
        from .explain import explain_row

        return explain_row(self, int(i))

    def explain_many(self, indices: Iterable[int]) -> list[dict]:
        return [self.explain(i) for i in indices]


@dataclass(frozen=True)
class NearMiss:
    """When a not-eligible result is a near miss (docs/rules-format.md, "Near misses"): at most
    ``max_failing`` failing criteria on the closest path, every one of them changeable by the
    enterprise and within ``tolerance`` (normalised shortfall) of its bar."""

    tolerance: float = 0.15
    max_failing: int = 2

    def __call__(self, status: np.ndarray, failing: np.ndarray, fixed: np.ndarray,
                 shortfall: np.ndarray) -> np.ndarray:
        return ((status == NOT_ELIGIBLE) & (fixed == 0) & (failing >= 1) & (failing <= self.max_failing)
                & (shortfall <= self.tolerance))


def evaluate(rulesets: Mapping[str, Ruleset], facts: FactTable, *, as_of: dt.date,
             fiscal_year: int | None = None, parameters: dict | None = None,
             near_miss: NearMiss | None = None) -> dict[str, TierOutcome]:
    """Evaluate each tier's ruleset (keyed by tier code) over all rows of ``facts``.

    ``fiscal_year`` (the assessment year Y, 上年度) defaults to ``as_of.year - 1``. Tiers are
    evaluated in dependency order, so a ``tier`` node reads the other tier's status from this same
    evaluation (a tier not in ``rulesets`` is unknown for ``require: eligible``). ``parameters``
    carries data such as ``size_standards``; ``near_miss`` the near-miss rule (default NearMiss()).
    Raises DefinitionError on a cycle of tier nodes.
    """
    fiscal_year = as_of.year - 1 if fiscal_year is None else int(fiscal_year)
    parameters = parameters or {}
    ctx = VariableContext(facts, fiscal_year=fiscal_year, as_of=as_of, parameters=parameters)
    edges = {tier: [(ref.tier, ref.id) for ref in tier_references(rs.root)]
             for tier, rs in rulesets.items()}
    evaluation = _Evaluation(facts, fiscal_year, as_of, parameters)
    outcomes: dict[str, TierOutcome] = {}
    for tier in dependency_order(edges, rulesets):
        if tier not in rulesets:
            continue
        outcomes[tier] = _evaluate_tier(tier, rulesets[tier], ctx, evaluation, near_miss or NearMiss())
        evaluation.statuses[tier] = outcomes[tier].status
    return {tier: outcomes[tier] for tier in rulesets}


def date_inputs(rulesets: Iterable[Ruleset], facts: FactTable, *, as_of: dt.date, fiscal_year: int,
                parameters: dict | None = None) -> list[np.ndarray]:
    """What the results of ``rulesets`` read from the evaluation date itself, one column per variable
    that moves with ``as_of`` (an age): the position of each row's value among the thresholds the
    rulesets compare it with (equal counts apart). These columns change only on the days a comparison
    can flip, so a nightly run sees an age cross a bar without rewriting every result every day."""
    edges: dict[str, set[float]] = {}
    for ruleset in rulesets:
        for node in iter_nodes(ruleset.root):
            conditions = [node.condition] if isinstance(node, TestNode) else []
            if isinstance(node, ScoreNode):
                conditions = [c for ind in node.indicators for c in _indicator_conditions(ind)]
            for cond in conditions:
                clock = VARIABLES[cond.variable].clock
                if clock is not None and clock.at == "as_of":
                    t = cond.threshold
                    edges.setdefault(cond.variable, set()).update(t if isinstance(t, tuple) else (t,))
    ctx = VariableContext(facts, fiscal_year=fiscal_year, as_of=as_of, parameters=parameters or {})
    columns = []
    for variable in sorted(edges):
        bars = np.array(sorted(edges[variable]))
        value = ctx.value(variable)
        position = np.searchsorted(bars, value, side="left") + np.searchsorted(bars, value, side="right")
        columns.append(np.where(np.isnan(value), -1.0, position.astype(np.float64)))
    return columns


def _indicator_conditions(ind) -> list:
    if ind.kind == "bands":
        return [band.condition for band in ind.bands]
    if ind.kind == "sum":
        return [item.condition for item in ind.items]
    if ind.kind == "max":
        return [c for sub in ind.items for c in _indicator_conditions(sub)]
    return []


def _evaluate_tier(tier: str, ruleset: Ruleset, ctx: VariableContext, evaluation: _Evaluation,
                   near_miss: NearMiss) -> TierOutcome:
    n = ctx.facts.n
    evaluator = TreeEvaluator(ctx, evaluation.statuses)
    root = evaluator.run(ruleset.root)
    status = status_of(root)
    shortfall = np.round(root.shortfall, 6)  # what explanations show; below that is float noise
    failed_cols, unknown_cols = [], []
    for node_id in ruleset.node_index:
        passed, failed = evaluator.outcome_bits[node_id]
        failed_cols.append(failed)
        unknown_cols.append(~(passed | failed))
    first_score = next((nd for nd in iter_nodes(ruleset.root) if isinstance(nd, ScoreNode)), None)
    if first_score is None:
        score, dimension_scores = np.full(n, np.nan), {}
    else:
        detail = evaluator.score_details[first_score.id]
        (low, high), dimension_scores = detail["total"], dict(detail["dimensions"][0])
        # A score is reported only when the facts fix it: a lower bound of 0 is not a score of 0.
        score = np.where(low == high, low, np.nan)
    return TierOutcome(
        tier=tier,
        ruleset=ruleset,
        status=status,
        score=score,
        dimension_scores=dimension_scores,
        failing_count=root.failing,
        fixed_count=root.fixed,
        shortfall=shortfall,
        near_miss=near_miss(status, root.failing, root.fixed, shortfall),
        failed_bits=pack_bits(failed_cols, n),
        unknown_bits=pack_bits(unknown_cols, n),
        _evaluation=evaluation,
    )
