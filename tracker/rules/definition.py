"""Parse and validate a ruleset definition (docs/rules-format.md) into immutable nodes.

Thresholds are encoded once here (choice names → codes, dates → day numbers), so evaluation compares
float arrays only.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .facts import day_number
from .fields import NUMERIC_KINDS
from .variables import VARIABLES, Variable

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "between", "is_true", "is_false")
_ORDER_OPS = {"gt", "gte", "lt", "lte", "between"}
_OPS_BY_KIND = {
    **{kind: set(OPERATORS) - {"is_true", "is_false"} for kind in NUMERIC_KINDS},
    "ordinal": set(OPERATORS) - {"is_true", "is_false"},
    "category": {"eq", "ne", "in"},
    "bool": {"is_true", "is_false", "eq", "ne"},
}
TIER_REQUIREMENTS = ("eligible", "designated", "either")
_ID = re.compile(r"^[a-z0-9_]+$")


class DefinitionError(ValueError):
    """A ruleset definition is invalid; ``node_id`` names the offending node (None at the root).

    ``path`` locates the offending node (or indicator, item, band, dimension) in the raw tree as keys
    and list indices from the root, e.g. ``("children", 2, "children", 0)``: an editor can point at the
    line of a file even when the node has no usable id. None when the error is not about one place.
    """

    def __init__(self, node_id: str | None, message: str, path: tuple | None = None):
        self.node_id = node_id
        self.message = message
        self.path = path
        super().__init__(f'node "{node_id}": {message}' if node_id else message)


def format_path(path: tuple) -> str:
    """``("children", 2, "child")`` → ``children[2].child``; the root is ``""``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


class _located:
    """Give a DefinitionError raised inside the block the path of the innermost block around it."""

    def __init__(self, path: tuple):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if isinstance(exc, DefinitionError) and exc.path is None:
            exc.path = self.path
        return False


@dataclass(frozen=True)
class Label:
    zh: str
    en: str


@dataclass(frozen=True)
class Condition:
    """``variable op threshold``; ``threshold`` is encoded (float, (low, high) or a tuple of codes)."""

    variable: str
    op: str
    threshold: object
    raw_threshold: object


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: Label
    reference: str


@dataclass(frozen=True)
class GroupNode(Node):  # kind "all" | "any"
    children: tuple[Node, ...]


@dataclass(frozen=True)
class NotNode(Node):
    child: Node


@dataclass(frozen=True)
class TestNode(Node):
    condition: Condition


@dataclass(frozen=True)
class TierNode(Node):
    tier: str
    require: str


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Label
    min: float


@dataclass(frozen=True)
class Band:
    condition: Condition
    points: float


@dataclass(frozen=True)
class SumItem:
    id: str
    label: Label
    condition: Condition
    points: float
    reference: str = ""


@dataclass(frozen=True)
class Indicator:
    """A score indicator: ``kind`` is ``bands`` (variable, bands, otherwise), ``sum`` (items, cap),
    ``max`` (items: sub-indicators) or ``points`` (the variable's value is the points, 0..max_points)."""

    id: str
    kind: str
    label: Label
    reference: str
    dimension: str | None
    max_points: float
    variable: str | None = None
    bands: tuple[Band, ...] = ()
    otherwise: float = 0.0
    items: tuple = ()
    cap: float = 0.0


@dataclass(frozen=True)
class ScoreNode(Node):
    min_total: float
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]


def iter_nodes(node: Node):
    """Nodes of the tree in pre-order (the order of ``node_index`` and of explanations)."""
    yield node
    if isinstance(node, GroupNode):
        for child in node.children:
            yield from iter_nodes(child)
    elif isinstance(node, NotNode):
        yield from iter_nodes(node.child)


def tier_references(node: Node) -> list[TierNode]:
    return [n for n in iter_nodes(node) if isinstance(n, TierNode)]


# -- parsing --------------------------------------------------------------------------------------

class _Parser:
    def __init__(self):
        self.seen: set[str] = set()

    def node(self, raw, path: tuple = ()) -> Node:
        with _located(path):
            return self._node(raw, path)

    def _node(self, raw, path: tuple) -> Node:
        if not isinstance(raw, Mapping):
            raise DefinitionError(None, f"a node must be a mapping, got {type(raw).__name__}")
        node_id = self.identity(raw)
        kind = raw.get("kind")
        label, reference = self.label(raw, node_id), str(raw.get("reference") or "")
        if kind in ("all", "any"):
            children = raw.get("children")
            if not isinstance(children, list) or not children:
                raise DefinitionError(node_id, f'"{kind}" needs a non-empty list of children')
            return GroupNode(node_id, kind, label, reference,
                             tuple(self.node(c, (*path, "children", i)) for i, c in enumerate(children)))
        if kind == "not":
            if "child" not in raw:
                raise DefinitionError(node_id, '"not" needs a child')
            return NotNode(node_id, kind, label, reference, self.node(raw["child"], (*path, "child")))
        if kind == "test":
            return TestNode(node_id, kind, label, reference, condition(node_id, raw))
        if kind == "tier":
            tier, require = raw.get("tier"), raw.get("require", "eligible")
            if not isinstance(tier, str) or not tier:
                raise DefinitionError(node_id, '"tier" node needs a tier code')
            if require not in TIER_REQUIREMENTS:
                raise DefinitionError(node_id, f'require must be one of {", ".join(TIER_REQUIREMENTS)}')
            return TierNode(node_id, kind, label, reference, tier, require)
        if kind == "score":
            return self.score(node_id, label, reference, raw, path)
        raise DefinitionError(node_id, f'unknown kind "{kind}"')

    def identity(self, raw, what="node") -> str:
        node_id = raw.get("id")
        if not isinstance(node_id, str) or not node_id:
            raise DefinitionError(None, f"a {what} is missing its id (near {_brief(raw)})")
        if not _ID.match(node_id):
            raise DefinitionError(node_id, "id must match [a-z0-9_]+")
        if node_id in self.seen:
            raise DefinitionError(node_id, "duplicate id")
        self.seen.add(node_id)
        return node_id

    @staticmethod
    def label(raw, node_id) -> Label:
        label = raw.get("label")
        if not isinstance(label, Mapping) or not label.get("zh") or not label.get("en"):
            raise DefinitionError(node_id, "label needs both zh and en")
        extra = set(label) - {"zh", "en"}
        if extra:
            # Usually an unquoted comma in a YAML flow mapping that split a label in two.
            raise DefinitionError(node_id, f"label has unexpected keys: {', '.join(sorted(map(str, extra)))}")
        return Label(str(label["zh"]), str(label["en"]))

    def score(self, node_id, label, reference, raw, path) -> ScoreNode:
        min_total = _number(node_id, raw.get("min_total"), "min_total")
        dims, dim_ids = [], set()
        for k, d in enumerate(raw.get("dimensions") or ()):
            with _located((*path, "dimensions", k)):
                if not isinstance(d, Mapping) or not isinstance(d.get("id"), str) or not _ID.match(d["id"]):
                    raise DefinitionError(node_id, f"dimension needs an id matching [a-z0-9_]+ ({_brief(d)})")
                if d["id"] in dim_ids:
                    raise DefinitionError(node_id, f'duplicate dimension id "{d["id"]}"')
                dim_ids.add(d["id"])
                dims.append(Dimension(d["id"], self.label(d, node_id), _number(node_id, d.get("min", 0), "min")))
        raw_indicators = raw.get("indicators")
        if not isinstance(raw_indicators, list) or not raw_indicators:
            raise DefinitionError(node_id, "score needs a non-empty list of indicators")
        indicators = tuple(
            self.indicator(ind, dim_ids, top=True, path=(*path, "indicators", i))
            for i, ind in enumerate(raw_indicators)
        )
        return ScoreNode(node_id, "score", label, reference, min_total, tuple(dims), indicators)

    def indicator(self, raw, dim_ids, top, path: tuple) -> Indicator:
        with _located(path):
            return self._indicator(raw, dim_ids, top, path)

    def _indicator(self, raw, dim_ids, top, path: tuple) -> Indicator:
        if not isinstance(raw, Mapping):
            raise DefinitionError(None, "an indicator must be a mapping")
        ind_id = self.identity(raw, "indicator")
        label, reference = self.label(raw, ind_id), str(raw.get("reference") or "")
        dimension = raw.get("dimension")
        if top:
            if dimension not in dim_ids:
                raise DefinitionError(ind_id, f'unknown dimension "{dimension}"')
        elif dimension is not None:
            raise DefinitionError(ind_id, "an item of a max indicator takes no dimension")
        kind = raw.get("kind")
        if kind == "bands":
            return self.bands(ind_id, label, reference, dimension, raw, path)
        if kind == "points":
            return self.points(ind_id, label, reference, dimension, raw)
        if kind == "sum":
            items = []
            for j, item in enumerate(raw.get("items") or ()):
                with _located((*path, "items", j)):
                    if not isinstance(item, Mapping):
                        raise DefinitionError(ind_id, "an item must be a mapping")
                    item_id = self.identity(item, "item")
                    items.append(SumItem(item_id, self.label(item, item_id), condition(item_id, item),
                                         _number(item_id, item.get("points"), "points"),
                                         str(item.get("reference") or "")))
            cap = _number(ind_id, raw.get("cap"), "cap")
            max_points = _number(ind_id, raw.get("max_points", cap), "max_points")
            return Indicator(ind_id, kind, label, reference, dimension, max_points,
                             items=tuple(items), cap=cap)
        if kind == "max":
            subs = raw.get("items")
            if not isinstance(subs, list) or not subs:
                raise DefinitionError(ind_id, "max needs a non-empty list of items")
            parsed = tuple(self.indicator(s, dim_ids, top=False, path=(*path, "items", j)) for j, s in enumerate(subs))
            if any(p.kind in ("max", "points") for p in parsed):
                raise DefinitionError(ind_id, "max items must be bands or sum indicators")
            max_points = _number(ind_id, raw.get("max_points", max(p.max_points for p in parsed)),
                                 "max_points")
            return Indicator(ind_id, kind, label, reference, dimension, max_points, items=parsed)
        raise DefinitionError(ind_id, f'unknown indicator kind "{kind}"')

    @staticmethod
    def points(ind_id, label, reference, dimension, raw) -> Indicator:
        variable = raw.get("variable")
        var = VARIABLES.get(variable) if isinstance(variable, str) else None
        if var is None:
            raise DefinitionError(ind_id, f'unknown variable "{variable}"')
        if var.kind not in ("number", "count"):
            raise DefinitionError(ind_id, f'points need a number variable, "{variable}" is of kind {var.kind}')
        max_points = _number(ind_id, raw.get("max_points"), "max_points")
        if max_points <= 0:
            raise DefinitionError(ind_id, "max_points must be positive")
        return Indicator(ind_id, "points", label, reference, dimension, max_points, variable=variable)

    def bands(self, ind_id, label, reference, dimension, raw, path) -> Indicator:
        variable = raw.get("variable")
        raw_bands = raw.get("bands")
        if not isinstance(raw_bands, list) or not raw_bands:
            raise DefinitionError(ind_id, "bands needs a non-empty list of bands")
        bands = []
        for k, b in enumerate(raw_bands):
            with _located((*path, "bands", k)):
                if not isinstance(b, Mapping):
                    raise DefinitionError(ind_id, "a band must be a mapping")
                points = _number(ind_id, b.get("points"), "points")
                bands.append(Band(condition(ind_id, {"variable": variable, **b}), points))
        bands = tuple(bands)
        _check_band_order(ind_id, bands, path)
        otherwise = _number(ind_id, raw.get("otherwise", 0), "otherwise")
        max_points = _number(ind_id, raw.get("max_points", bands[0].points), "max_points")
        if max(b.points for b in bands) > max_points or otherwise > max_points:
            raise DefinitionError(ind_id, "a band gives more than max_points")
        return Indicator(ind_id, "bands", label, reference, dimension, max_points, variable=variable,
                         bands=bands, otherwise=otherwise)


def _check_band_order(ind_id, bands, path: tuple = ()) -> None:
    ops = {b.condition.op for b in bands}
    if ops & {"gte", "gt"} and ops & {"lte", "lt"}:
        raise DefinitionError(ind_id, "bands out of order: mixes gte/gt with lte/lt")
    for k, (prev, cur) in enumerate(itertools.pairwise(bands), start=1):
        at = (*path, "bands", k)  # the band that breaks the order
        if cur.points > prev.points:
            raise DefinitionError(ind_id, "bands out of order: points must not increase down the list", at)
        if prev.condition.op in ("gte", "gt") and cur.condition.op in ("gte", "gt") and \
                not cur.condition.threshold < prev.condition.threshold:
            raise DefinitionError(ind_id, "bands out of order: gte/gt thresholds must strictly decrease", at)
        if prev.condition.op in ("lte", "lt") and cur.condition.op in ("lte", "lt") and \
                not cur.condition.threshold > prev.condition.threshold:
            raise DefinitionError(ind_id, "bands out of order: lte/lt thresholds must strictly increase", at)


def condition(node_id: str, raw: Mapping) -> Condition:
    """Parse ``variable``/``op``/``threshold`` and check that they fit the variable's kind."""
    name, op = raw.get("variable"), raw.get("op")
    var = VARIABLES.get(name) if isinstance(name, str) else None
    if var is None:
        raise DefinitionError(node_id, f'unknown variable "{name}"')
    if op not in OPERATORS:
        raise DefinitionError(node_id, f'unknown operator "{op}"')
    if op not in _OPS_BY_KIND[var.kind]:
        raise DefinitionError(node_id, f'operator "{op}" does not fit variable "{name}" of kind {var.kind}')
    raw_threshold = raw.get("threshold")
    return Condition(name, op, _threshold(node_id, var, op, raw_threshold), raw_threshold)


def _threshold(node_id: str, var: Variable, op: str, raw):
    if op in ("is_true", "is_false"):
        if raw is not None:
            raise DefinitionError(node_id, f'"{op}" takes no threshold')
        return 1.0 if op == "is_true" else 0.0
    if op == "between":
        if not isinstance(raw, (list, tuple)) or len(raw) != 2:
            raise DefinitionError(node_id, "between needs threshold [low, high]")
        low, high = (_scalar(node_id, var, v) for v in raw)
        if low > high:
            raise DefinitionError(node_id, "between needs low <= high")
        return (low, high)
    if op == "in":
        if not isinstance(raw, (list, tuple)) or not raw:
            raise DefinitionError(node_id, "in needs a non-empty list")
        return tuple(_scalar(node_id, var, v) for v in raw)
    return _scalar(node_id, var, raw)


def _scalar(node_id: str, var: Variable, raw) -> float:
    if var.kind in ("ordinal", "category"):
        if raw not in var.choices:
            raise DefinitionError(node_id, f'threshold "{raw}" is not a choice of "{var.name}" '
                                           f'({", ".join(var.choices)})')
        return float(var.choices.index(raw))
    if var.kind == "bool":
        if not isinstance(raw, bool):
            raise DefinitionError(node_id, f'threshold of "{var.name}" must be true or false')
        return float(raw)
    if var.kind == "date":
        try:
            return day_number(raw)
        except (TypeError, ValueError, AttributeError):
            raise DefinitionError(node_id, f"threshold {raw!r} is not a date (yyyy-mm-dd)") from None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise DefinitionError(node_id, f'threshold {raw!r} of "{var.name}" must be a number')
    return float(raw)


def _number(node_id, raw, what) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise DefinitionError(node_id, f"{what} must be a number")
    return float(raw)


def _brief(raw) -> str:
    return repr(raw)[:60]


def parse_definition(definition: Mapping) -> Node:
    """Parse and validate a definition tree; raises :class:`DefinitionError` naming the node."""
    return _Parser().node(definition)


def validate_rulesets(rulesets: Iterable) -> None:
    """Reject a cycle of ``tier`` nodes across rulesets (any version of a tier counts).

    ``rulesets``: Ruleset objects (or anything with ``tier`` and a parsed ``root``). The error names
    a ``tier`` node on the cycle.
    """
    edges: dict[str, list[tuple[str, str]]] = {}
    for ruleset in rulesets:
        for ref in tier_references(ruleset.root):
            edges.setdefault(ruleset.tier, []).append((ref.tier, ref.id))
    dependency_order(edges)


def dependency_order(edges: Mapping[str, list[tuple[str, str]]], tiers: Iterable[str] = ()) -> list[str]:
    """Tiers ordered so that every tier comes after the tiers it references; raises on a cycle."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(tier: str, path: list[tuple[str, str]]):
        if state.get(tier) == 2:
            return
        if state.get(tier) == 1:
            start = next(i for i, (t, _) in enumerate(path) if t == tier)
            cycle = [t for t, _ in path[start:]] + [tier]
            raise DefinitionError(path[-1][1], "tier cycle: " + " → ".join(cycle))
        state[tier] = 1
        for target, node_id in edges.get(tier, ()):
            path.append((tier, node_id))
            visit(target, path)
            path.pop()
        state[tier] = 2
        order.append(tier)

    for tier in list(tiers) + list(edges):
        visit(tier, [])
    return order
