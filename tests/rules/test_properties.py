"""Property: evaluating a batch vectorised equals evaluating each row alone."""

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.rules import FactTable, evaluate

from .builders import AS_OF, SIZE, facts, label, ruleset

# Variables with thresholds that the facts below hit exactly (edge values included).
NUMERIC = {"revenue": [0, 50, 100, 150], "rd_ratio": [0.0, 0.03, 0.05], "main_business_growth": [-0.1, 0.0, 0.5]}
ORDINAL = ["none", "city", "provincial", "national"]
NUMERIC_OPS = ["gte", "gt", "lte", "lt", "eq", "ne"]

_numeric_test = st.tuples(st.sampled_from(sorted(NUMERIC)), st.sampled_from([*NUMERIC_OPS, "between", "in"])).flatmap(
    lambda vo: st.builds(lambda th: {"kind": "test", "variable": vo[0], "op": vo[1], "threshold": th},
                         _threshold(vo[0], vo[1])))


def _threshold(variable, op):
    values = st.sampled_from(NUMERIC[variable])
    if op == "between":
        return st.lists(values, min_size=2, max_size=2).map(sorted)
    if op == "in":
        return st.lists(values, min_size=1, max_size=2)
    return values


_bool_test = st.builds(lambda v, op: {"kind": "test", "variable": v, "op": op},
                       st.sampled_from(["own_brand", "qms_certified"]), st.sampled_from(["is_true", "is_false"]))
_ordinal_test = st.builds(lambda op, th: {"kind": "test", "variable": "rd_institution_level", "op": op,
                                          "threshold": th},
                          st.sampled_from(["gte", "lt", "eq"]), st.sampled_from(ORDINAL))
_tier_leaf = st.builds(lambda req: {"kind": "tier", "tier": "base", "require": req},
                       st.sampled_from(["eligible", "designated", "either"]))


def _bands(dimension):
    return st.builds(
        lambda ths, otherwise: {"kind": "bands", "dimension": dimension, "variable": "revenue",
                                "max_points": 10, "otherwise": otherwise,
                                "bands": [{"op": "gte", "threshold": th, "points": p}
                                          for th, p in zip(sorted(set(ths), reverse=True), (10, 6, 3), strict=False)]},
        st.lists(st.sampled_from(NUMERIC["revenue"]), min_size=1, max_size=3), st.sampled_from([0, 1]))


def _sum(dimension):
    return st.builds(lambda cap, pts: {"kind": "sum", "dimension": dimension, "cap": cap, "items": [
        {"variable": "own_brand", "op": "is_true", "points": pts[0]},
        {"variable": "rd_ratio", "op": "gte", "threshold": 0.03, "points": pts[1]}]},
        st.sampled_from([3, 5]), st.tuples(st.sampled_from([2, 3]), st.sampled_from([2, 4])))


def _max(dimension):
    return st.builds(lambda a, b: {"kind": "max", "dimension": dimension, "items": [
        {**a, "dimension": None}, {**b, "dimension": None}]}, _bands("x"), _sum("x"))


_score = st.builds(
    lambda inds, min_total, dim_min: {"kind": "score", "min_total": min_total,
                                     "dimensions": [{"id": "a", "min": dim_min}, {"id": "b", "min": 0}],
                                     "indicators": inds},
    st.lists(st.sampled_from(["a", "b"]).flatmap(lambda d: st.one_of(_bands(d), _sum(d), _max(d))),
             min_size=1, max_size=3),
    st.sampled_from([0, 5, 10, 15]), st.sampled_from([0, 3, 8]))


def _tree(with_tier):
    leaves = st.one_of(_numeric_test, _bool_test, _ordinal_test, _score, *([_tier_leaf] if with_tier else []))
    return st.recursive(leaves, lambda children: st.one_of(
        st.builds(lambda k, cs: {"kind": k, "children": cs}, st.sampled_from(["all", "any"]),
                  st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"kind": "not", "child": c}, children)), max_leaves=8)


def _finish(tree):
    """Give every node, indicator and item a unique id and a label."""
    counter = itertools.count()

    def visit(node):
        node = dict(node)
        if "dimension" in node and node["dimension"] is None:
            del node["dimension"]
        node["id"], node["label"] = f"n{next(counter)}", label()
        if "children" in node:
            node["children"] = [visit(c) for c in node["children"]]
        if "child" in node:
            node["child"] = visit(node["child"])
        for key in ("indicators", "items", "dimensions"):
            if key in node:
                node[key] = [visit(x) if key != "dimensions" else {**x, "label": label()} for x in node[key]]
        return node

    return visit(tree)


_row = st.fixed_dictionaries({
    "revenue": st.sampled_from([None, 0, 50, 100, 150]),
    "rd_expense": st.sampled_from([None, 0, 1.5, 3, 5]),
    "main_business_revenue": st.sampled_from([{2025: None}, {2025: 90, 2024: 100}, {2025: 100, 2024: 100},
                                              {2025: 150, 2024: 100}, {2025: 1, 2024: 0}]),
    "own_brand": st.sampled_from([None, True, False]),
    "qms_certified": st.sampled_from([None, True, False]),
    "rd_institution_level": st.sampled_from([None, *ORDINAL]),
    "designations": st.sampled_from([[], ["base"]]),
})


def _same(a, b):
    return np.array_equal(a, b, equal_nan=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=_tree(False), tree=_tree(True), rows=st.lists(_row, min_size=1, max_size=8))
def test_batch_evaluation_equals_row_by_row_evaluation(base, tree, rows):
    rulesets = {"base": ruleset(_finish(base), tier="base"), "t": ruleset(_finish(tree), tier="t")}
    table = facts(*rows)
    batch = evaluate(rulesets, table, as_of=AS_OF, parameters=SIZE)
    for i in range(table.n):
        alone = evaluate(rulesets, FactTable.take(table, [i]), as_of=AS_OF, parameters=SIZE)
        for tier in rulesets:
            b, a = batch[tier], alone[tier]
            assert b.status[i] == a.status[0]
            assert _same(b.score[i:i + 1], a.score)
            assert b.failing_count[i] == a.failing_count[0]
            assert b.shortfall[i] == a.shortfall[0]
            assert b.near_miss[i] == a.near_miss[0]
            assert _same(b.failed_bits[i], a.failed_bits[0]) and _same(b.unknown_bits[i], a.unknown_bits[0])
            for dim, arr in b.dimension_scores.items():
                assert arr[i] == a.dimension_scores[dim][0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_tree(False), rows=st.lists(_row, min_size=1, max_size=4))
def test_explain_agrees_with_the_arrays(tree, rows):
    out = evaluate({"t": ruleset(_finish(tree))}, facts(*rows), as_of=AS_OF, parameters=SIZE)["t"]
    for i in range(len(out)):
        e = out.explain(i)
        assert e["status"] == out.status_name(i)
        assert len(e["gaps"]["failing"]) == int(out.failing_count[i])
        assert e["nodes"][0]["shortfall"] == float(out.shortfall[i])
        assert {n["id"]: n["outcome"] for n in e["nodes"]} == out.node_outcomes(i)
