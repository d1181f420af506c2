"""Stored results as readers see them: each gap's failing criteria by name, the current status of a
list of enterprises.

A result stores its failing nodes as a bitmap over its ruleset's node index (tracker/pipeline/); this
is where the bitmap is read back, so no reader decodes engine storage itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tracker.models import EligibilityResult, Ruleset
from tracker.rules import unpack_bits
from tracker.rules.definition import DefinitionError, GroupNode, TestNode
from tracker.rules.explain import criterion_actionable
from tracker.selectors.rulesets import engine_ruleset


def failing_criteria(results: Iterable[EligibilityResult]) -> dict[int, list[dict]]:
    """Result id → the criteria that make it fail (id, kind, zh/en label, whether the enterprise can act
    on it; a test adds variable, operator and threshold). The rulesets of all the results are read in one query."""
    results = list(results)
    rulesets = Ruleset.objects.select_related("jurisdiction").in_bulk({r.ruleset_id for r in results})
    engines = {}
    for pk, ruleset in rulesets.items():  # parsed once per ruleset, not per row
        try:
            engines[pk] = engine_ruleset(ruleset)
        except DefinitionError:
            continue  # a draft the engine cannot read names no criterion (its results are a test's)
    out = {}
    for result in results:
        engine = engines.get(result.ruleset_id)
        out[result.pk] = [] if engine is None else _decode(engine, result.failed_nodes)
    return out


def current_statuses(*, tier_id: str, pairs) -> dict[tuple[int, int | None], str]:
    """The current result's status (``EligibilityResult.objects.current()``) of each (enterprise,
    cluster) pair for a tier: what a designation batch checks its candidates against."""
    pairs = list(pairs)
    if not pairs:
        return {}
    rows = (
        EligibilityResult.objects.current()
        .filter(tier_id=tier_id, enterprise_id__in={enterprise for enterprise, _cluster in pairs})
        .values_list("enterprise_id", "cluster_id", "status")
    )
    return {(enterprise, cluster): status for enterprise, cluster, status in rows}


def _decode(engine, failed_nodes: bytes | memoryview | None) -> list[dict]:
    return _failing(engine.root, node_ids(engine, failed_nodes))


def unmet_criteria(engine, failed_nodes: bytes | None, unknown_nodes: bytes | None) -> list[dict]:
    """The criteria that keep a result of ``engine`` (an engine ruleset) from eligibility: those that
    fail and those it lacks the data to decide (``"unknown": True``), as ``failing_criteria`` names them.
    For results held in memory (a report's re-evaluation of the past) as much as stored ones."""
    failed, unknown = node_ids(engine, failed_nodes), node_ids(engine, unknown_nodes)
    items = _failing(engine.root, failed | unknown)
    for item in items:
        item["unknown"] = item["id"] in unknown and item["id"] not in failed
    return items


def node_ids(engine, bitmap: bytes | memoryview | None) -> set[str]:
    """The ids of the nodes a bitmap over ``engine``'s node index marks (failed or unknown nodes)."""
    bits = np.frombuffer(bytes(bitmap or b""), dtype=np.uint8)
    count = len(engine.node_index)
    if bits.size * 8 < count:
        bits = np.concatenate([bits, np.zeros((count + 7) // 8 - bits.size, dtype=np.uint8)])
    flags = unpack_bits(bits.reshape(1, -1), count)[0]
    return {node_id for node_id, flag in zip(engine.node_index, flags, strict=True) if flag}


def _failing(root, failed: set[str]) -> list[dict]:
    """Descend from the root through failed groups only (a failed branch under a passing `any` is not
    a reason); a failed node that is not a group is a criterion."""
    out = []

    def visit(node):
        if node.id not in failed:
            return
        if isinstance(node, GroupNode):
            for child in node.children:
                visit(child)
            return
        item = {
            "id": node.id,
            "kind": node.kind,
            "label": {"zh": node.label.zh, "en": node.label.en},
            "actionable": criterion_actionable(node),
        }
        if isinstance(node, TestNode):
            item.update(variable=node.condition.variable, op=node.condition.op, threshold=node.condition.raw_threshold)
        out.append(item)

    visit(root)
    return out
