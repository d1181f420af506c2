"""Small builders for definitions, rulesets and one-row facts used by the engine's tests."""

from __future__ import annotations

import datetime as dt

from tracker.rules import FactTable, Ruleset, evaluate

AS_OF = dt.date(2026, 5, 1)  # assessment year Y = 2025
Y = 2025
SIZE = {"size_standards": {"industry": {"max_employees": 1000, "max_revenue": 400_000_000},
                           "construction": {"max_employees": None, "max_revenue": 800_000_000,
                                            "max_total_assets": 800_000_000}}}


def label(text="x"):
    return {"zh": text, "en": text}


def criterion(node_id, variable, op, threshold=None, **extra):
    node = {"id": node_id, "kind": "test", "label": label(node_id), "variable": variable, "op": op, **extra}
    if threshold is not None:
        node["threshold"] = threshold
    return node


def all_(node_id, *children):
    return {"id": node_id, "kind": "all", "label": label(node_id), "children": list(children)}


def any_(node_id, *children):
    return {"id": node_id, "kind": "any", "label": label(node_id), "children": list(children)}


def not_(node_id, child):
    return {"id": node_id, "kind": "not", "label": label(node_id), "child": child}


def tier_node(node_id, tier, require="eligible"):
    return {"id": node_id, "kind": "tier", "label": label(node_id), "tier": tier, "require": require}


def bands(ind_id, variable, spec, *, dimension="d", op="gte", otherwise=0, max_points=None):
    ind = {"id": ind_id, "kind": "bands", "label": label(ind_id), "variable": variable,
           "max_points": max_points if max_points is not None else spec[0][1], "otherwise": otherwise,
           "bands": [{"op": op, "threshold": th, "points": p} for th, p in spec]}
    if dimension is not None:
        ind["dimension"] = dimension
    return ind


def sum_(ind_id, items, cap, *, dimension="d"):
    ind = {"id": ind_id, "kind": "sum", "label": label(ind_id), "cap": cap,
           "items": [{"id": i, "label": label(i), "variable": v, "op": op, "threshold": th, "points": p}
                     if th is not None else
                     {"id": i, "label": label(i), "variable": v, "op": op, "points": p}
                     for i, v, op, th, p in items]}
    if dimension is not None:
        ind["dimension"] = dimension
    return ind


def score(node_id, indicators, min_total, dimensions=(("d", 0),)):
    return {"id": node_id, "kind": "score", "label": label(node_id), "min_total": min_total,
            "dimensions": [{"id": d, "label": label(d), "min": m} for d, m in dimensions],
            "indicators": list(indicators)}


def ruleset(definition, tier="t", **meta):
    meta.setdefault("version", "v1")
    meta.setdefault("effective_from", dt.date(2022, 1, 1))
    return Ruleset(tier=tier, definition=definition, **meta)


def facts(*rows):
    """One FactTable row per dict: attribute names and metric names (metrics at Y unless given as
    {year: value})."""
    from tracker.rules.fields import ATTRIBUTE_FIELDS

    records = []
    for row in rows:
        row = dict(row)
        designations = row.pop("designations", [])
        attributes = {k: v for k, v in row.items() if k in ATTRIBUTE_FIELDS}
        by_year: dict[int, dict] = {}
        for k, v in row.items():
            if k in ATTRIBUTE_FIELDS:
                continue
            for year, value in (v.items() if isinstance(v, dict) else [(Y, v)]):
                by_year.setdefault(year, {"fiscal_year": year})[k] = value
        records.append({"attributes": attributes, "metrics": list(by_year.values()),
                        "designations": designations})
    return FactTable.from_records(records)


def run(definition, *rows, tier="t", parameters=SIZE, **kwargs):
    """Evaluate one definition over the given rows and return its TierOutcome."""
    return evaluate({tier: ruleset(definition, tier)}, facts(*rows), as_of=AS_OF, parameters=parameters,
                    **kwargs)[tier]


def status(definition, *rows, **kwargs):
    out = run(definition, *rows, **kwargs)
    return [out.status_name(i) for i in range(len(out))]
