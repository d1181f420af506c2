"""待补数据: the enterprises whose result is insufficient_data, and per area the data most often
missing — the list a city bureau sends out to collect.

The insufficient results are grouped in the database by region, ruleset and unknown-criteria bitmap
(a few thousand groups at a million enterprises), with the enterprise ids of each group — once for
all the scopes built together (``shared.py``): a scope keeps the groups of its regions. Each
distinct bitmap is decoded once into what it lacks: the fact itself for a criterion on a base fact,
the derived quantity (and so the facts behind it) otherwise.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.utils.translation import gettext as _

from tracker.models import Ruleset
from tracker.reports.sections import DataToCollectCity, DataToCollectRow, MissingFact
from tracker.rules import unpack_bits
from tracker.rules.definition import TestNode, iter_nodes
from tracker.rules.variables import VARIABLES
from tracker.selectors.rulesets import engine_ruleset

TOP_FACTS = 10


def _lacking(engine, bitmap: bytes) -> list[str]:
    """Labels of the data behind the criteria a result could not decide."""
    count = len(engine.node_index)
    bits = np.frombuffer(bytes(bitmap or b""), dtype=np.uint8)
    if bits.size * 8 < count:
        bits = np.concatenate([bits, np.zeros((count + 7) // 8 - bits.size, dtype=np.uint8)])
    unknown = {n for n, flag in zip(engine.node_index, unpack_bits(bits.reshape(1, -1), count)[0], strict=True) if flag}
    labels = []
    for node in iter_nodes(engine.root):
        if isinstance(node, TestNode) and node.id in unknown:
            var = VARIABLES.get(node.condition.variable)
            label = var.label_zh if var else node.label.zh
            if label not in labels:
                labels.append(label)
    return labels


def _groups(results) -> list[tuple]:
    """(region, ruleset, bitmap, tier, enterprise ids as an array) per distinct group; grouped by
    PostgreSQL, or in memory on the embedded SQLite of the demo."""
    columns = ("enterprise__region_id", "ruleset_id", "unknown_nodes", "tier_id")
    if connection.vendor == "postgresql":
        rows = results.values_list(*columns).annotate(ids=ArrayAgg("enterprise_id"))
    else:
        grouped = defaultdict(list)
        for *key, enterprise in results.values_list(*columns, "enterprise_id"):
            grouped[(key[0], key[1], bytes(key[2] or b""), key[3])].append(enterprise)
        rows = [(*key, ids) for key, ids in grouped.items()]
    return [(*key, np.asarray(ids, dtype=np.int64)) for *key, ids in rows]


def to_collect(context) -> tuple[list[DataToCollectCity], list[DataToCollectRow]]:
    groups = [g for g in context.shared.insufficient_groups(_groups) if context.scope.contains(g[0])]
    rulesets = {pk: engine_ruleset(r) for pk, r in
                Ruleset.objects.select_related("jurisdiction").in_bulk({g[1] for g in groups}).items()}
    decoded: dict[tuple[int, bytes], list[str]] = {}
    per_area: dict[str, dict] = defaultdict(lambda: {"ids": [], "facts": defaultdict(list)})
    names: dict[str, str] = {}
    for region, ruleset, bitmap, _tier, ids in groups:
        key = (ruleset, bytes(bitmap or b""))
        if key not in decoded:
            decoded[key] = _lacking(rulesets[ruleset], key[1]) if ruleset in rulesets else []
        code, name = context.scope.area_of(context.table, region)
        names[code] = name
        area = per_area[code]
        area["ids"].append(ids)
        for label in decoded[key]:
            area["facts"][label].append(ids)
    cities = []
    everyone = []
    for code in sorted(per_area):
        area = per_area[code]
        ids = np.unique(np.concatenate(area["ids"]))
        everyone.append(ids)
        facts = sorted(
            ((label, len(np.unique(np.concatenate(parts)))) for label, parts in area["facts"].items()),
            key=lambda item: (-item[1], item[0]),
        )
        cities.append(DataToCollectCity(code, names[code], len(ids),
                                        [MissingFact(label, n) for label, n in facts[:TOP_FACTS]]))
    all_ids = np.unique(np.concatenate(everyone)) if everyone else np.empty(0, dtype=np.int64)
    cap = context.truncated_cap("to_collect", len(all_ids))
    listed = all_ids[:cap]
    tiers: dict[int, list[str]] = defaultdict(list)
    missing: dict[int, list[str]] = defaultdict(list)
    # Which groups hold a listed enterprise: one membership test over every group's ids at once.
    sizes = [len(g[4]) for g in groups]
    if sizes and sum(sizes):
        flat = np.concatenate([g[4] for g in groups])
        hit = np.isin(flat, listed)
        starts = np.cumsum([0, *sizes])
        hits = [flat[starts[i]:starts[i + 1]][hit[starts[i]:starts[i + 1]]] for i in range(len(groups))]
    else:
        hits = [np.empty(0, dtype=np.int64) for _g in groups]
    for (_region, ruleset, bitmap, tier, _ids), inside in zip(groups, hits, strict=True):
        for pk in inside.tolist():
            name = context.tier_names.get(tier, tier)
            if name not in tiers[pk]:
                tiers[pk].append(name)
            for label in decoded[(ruleset, bytes(bitmap or b""))]:
                if label not in missing[pk]:
                    missing[pk].append(label)
    refs = context.refs(listed.tolist())
    rows = [DataToCollectRow(refs[pk], "、".join(tiers[pk]), "、".join(missing[pk]) or _("—"))
            for pk in listed.tolist() if pk in refs]
    return cities, rows
