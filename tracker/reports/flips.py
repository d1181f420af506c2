"""What flipped in a change: each gained or lost tier's criteria, with the value before → after.

A gained tier lists the criteria it failed (or lacked the data for) before, a lost one those it fails
(or lacks) now; the other side of each is where the criterion stood then or stands now. "Now" is the
current result and the facts of now. "Before" is the enterprise as it was at the previous report —
re-evaluated, since a result is rewritten in place: the facts as saved when the previous report's run
started (``past_facts``), judged on that run's date and year by the rulesets in force then.

Set-based for the whole list: the current results in one query, the past facts and the facts of now
each read once for every enterprise listed, each ruleset group evaluated once, each variable computed
once over all rows (the pipeline's and the gap reader's own code).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from tracker.models import EvaluationRun, Tier, TierChange
from tracker.pipeline.evaluation_plan import evaluate_changed
from tracker.pipeline.facts_loader import Slice, load_chunk_facts
from tracker.reports.gaps import chunk_values, format_requirement, format_value, shortfall
from tracker.reports.past_facts import facts_at
from tracker.reports.sections import CriterionGap
from tracker.rules.definition import TestNode, iter_nodes
from tracker.selectors.results import node_ids, unmet_criteria
from tracker.selectors.rulesets import RulesetCatalog, near_miss_rule

# No stored hash takes this value: every row with a ruleset in force is evaluated.
_NO_RESULT = np.iinfo(np.int64).min


@dataclass
class _Result:
    ruleset_id: int
    failed_nodes: bytes
    unknown_nodes: bytes


@dataclass
class Before:
    """The moment whose facts stand for "before", and the date and year they are judged on."""

    moment: dt.datetime
    as_of: dt.date
    fiscal_year: int


def before_of(run: EvaluationRun, previous_run_id: int | None) -> Before | None:
    """The previous report's run when there is one; else the run before this report's (the results its
    events rewrote), with the facts as they were when this report's run started."""
    previous = EvaluationRun.objects.filter(pk=previous_run_id).first() if previous_run_id else None
    if previous is not None:
        return Before(previous.created_at, previous.as_of, previous.fiscal_year)
    if previous_run_id:
        return None  # the previous report's run is gone: its moment is not known
    earlier = EvaluationRun.objects.completed_full().filter(pk__lt=run.pk).order_by("-pk").first() or run
    return Before(run.created_at, earlier.as_of, earlier.fiscal_year)


def flipped_criteria(context, rows: list[dict], *, before: Before | None) -> dict[tuple, list[CriterionGap]]:
    """(enterprise, tier, cluster) → its flipped criteria, for the change rows ``rows`` (dicts of
    ``TierChange`` values). A change whose result is gone (``to_status`` empty) has none."""
    keys = {(r["enterprise_id"], r["tier_id"], r["cluster_id"]): r["change"] for r in rows if r["to_status"]}
    if not keys:
        return {}
    catalog = RulesetCatalog.active()
    # Every result of the listed enterprises in the tiers asked (rows, not model instances: thousands),
    # kept for the changes' own keys.
    now = {
        (e, t, c): _Result(ruleset, bytes(failed or b""), bytes(unknown or b""))
        for e, t, c, ruleset, failed, unknown in context.results().filter(
            enterprise_id__in={k[0] for k in keys}, tier_id__in={k[1] for k in keys}
        ).order_by().values_list("enterprise_id", "tier_id", "cluster_id", "ruleset_id", "failed_nodes",
                                 "unknown_nodes")
        if (e, t, c) in keys
    }
    engines = dict(catalog.engine)
    missing = {r.ruleset_id for r in now.values()} - set(engines)
    if missing:  # a result of a ruleset no longer active
        from tracker.models import Ruleset
        from tracker.selectors.rulesets import engine_ruleset

        engines.update({pk: engine_ruleset(r) for pk, r in
                        Ruleset.objects.select_related("jurisdiction").in_bulk(missing).items()})
    reader = context.gap_reader
    ids = sorted({k[0] for k in keys})
    then_chunk = None if before is None else facts_at(
        enterprise_ids=ids, moment=before.moment, as_of=before.as_of, fiscal_year=before.fiscal_year,
        per_cluster=reader.per_cluster, ranks=reader.report_ranks(),
    )
    past = {} if then_chunk is None else _past_results(then_chunk, keys, before, catalog, reader)
    # The unmet side of each change (before for a gain, now for a loss), less what was unmet on the
    # other side too: an alternative that failed both before and after did not flip.
    unmet: dict[tuple, list[dict]] = {}
    for key, change in keys.items():
        then = past.get(key)
        result = now.get(key)
        if result is not None and result.ruleset_id not in engines:
            result = None
        if change == TierChange.Change.GAINED and then is not None:
            items = unmet_criteria(engines[then[0]], then[1], then[2])
            other = set() if result is None else (
                node_ids(engines[result.ruleset_id], result.failed_nodes)
                | node_ids(engines[result.ruleset_id], result.unknown_nodes))
        elif change == TierChange.Change.LOST and result is not None:
            items = unmet_criteria(engines[result.ruleset_id], result.failed_nodes, result.unknown_nodes)
            other = set() if then is None else node_ids(engines[then[0]], then[1]) | node_ids(engines[then[0]], then[2])
        else:
            continue
        unmet[key] = [item for item in items if item["id"] not in other] or items
    variables = {item["variable"] for items in unmet.values() for item in items if item.get("variable")}
    listed = sorted({k[0] for k in unmet})
    later_values = _values_now(reader, listed, variables)
    then_values = {} if then_chunk is None or not variables else chunk_values(
        then_chunk, variables, fiscal_year=before.fiscal_year, as_of=before.as_of, parameters=reader.parameters)
    nodes = _NodeIndex(engines)
    out = {}
    for key, items in unmet.items():
        enterprise, _tier, cluster = key
        gained = keys[key] == TierChange.Change.GAINED
        then_pk = past[key][0] if key in past else None
        now_pk = now[key].ruleset_id if key in now else None
        gaps = []
        for item in items:
            variable = item.get("variable")
            value_key = (enterprise, cluster or 0, variable)
            later = later_values.get(value_key)
            then_item = item if gained else nodes.test(then_pk, item["id"])
            now_item = nodes.test(now_pk, item["id"]) if gained else item
            gaps.append(CriterionGap(
                criterion=item["label"]["zh"],
                before=_text(variable, then_values.get(value_key), unmet=gained,
                             unknown=gained and item.get("unknown"), known=then_chunk is not None),
                actual=_text(variable, later, unmet=not gained, unknown=not gained and item.get("unknown")),
                required=_requirement(then_item, now_item),
                shortfall="" if gained or not variable else shortfall(item, later),
                actionable=bool(item.get("actionable", True)),
            ))
        out[key] = gaps
    return out


def _text(variable: str | None, value: float | None, *, unmet: bool, unknown: bool, known: bool = True) -> str:
    """A value with its unit; a criterion without one (a title to hold, a score) by its verdict."""
    if not known:
        return "—"
    if variable:
        return format_value(variable, value)
    if unknown:
        return _("缺数据")
    return _("未达标") if unmet else _("达标")


def _requirement(then: dict | None, now: dict | None) -> str:
    """The requirement of now; "then → now" when the rulesets of before and now set it differently."""
    if now is None or then is None:
        return format_requirement(now or then or {})
    was, is_ = format_requirement(then), format_requirement(now)
    return is_ if was == is_ else f"{was} → {is_}"


def _past_results(chunk, keys: dict, before: Before, catalog, reader) -> dict[tuple, tuple[int, bytes, bytes]]:
    """(enterprise, tier, cluster) → (ruleset pk, failed bits, unknown bits) as the enterprises were
    judged before: their past facts evaluated by the pipeline's own code, every row of the tiers asked."""
    tiers = sorted({k[1] for k in keys} & set(catalog.tiers()))
    if not tiers:
        return {}
    codes = Tier.objects.order_by("code").values_list("code", flat=True)
    evaluation = evaluate_changed(
        chunk=chunk, catalog=catalog, tiers=tiers, as_of=before.as_of, fiscal_year=before.fiscal_year,
        parameters=reader.parameters, near_miss=near_miss_rule(),
        tier_index={code: i for i, code in enumerate(codes)},
        existing_hash=lambda _tier, enterprise_ids, _clusters: np.full(len(enterprise_ids), _NO_RESULT),
        per_cluster=reader.per_cluster,
    )
    out = {}
    for rows in evaluation.rows:
        for i, (enterprise, cluster) in enumerate(zip(rows.enterprise_ids.tolist(), rows.cluster_ids.tolist(),
                                                      strict=True)):
            key = (enterprise, rows.tier, cluster or None)
            if key in keys:
                out[key] = (int(rows.ruleset_pks[i]), rows.failed_bits[i].tobytes(), rows.unknown_bits[i].tobytes())
    return out


def _values_now(reader, ids: list[int], variables: set[str]) -> dict:
    if not ids or not variables:
        return {}
    chunk = load_chunk_facts(part=Slice(ids[0], ids[-1], tuple(ids)), fiscal_year=reader.fiscal_year,
                             as_of=reader.as_of, cluster_ranks=reader.report_ranks(), per_cluster=reader.per_cluster)
    return chunk_values(chunk, variables, fiscal_year=reader.fiscal_year, as_of=reader.as_of,
                        parameters=reader.parameters)


class _NodeIndex:
    """The test nodes of each ruleset by id, built once per ruleset asked about."""

    def __init__(self, engines: dict):
        self.engines = engines
        self._built: dict[int, dict[str, dict]] = {}

    def test(self, ruleset_pk: int | None, node_id: str) -> dict | None:
        if ruleset_pk is None or ruleset_pk not in self.engines:
            return None
        if ruleset_pk not in self._built:
            self._built[ruleset_pk] = {
                node.id: {"variable": node.condition.variable, "op": node.condition.op,
                          "threshold": node.condition.raw_threshold}
                for node in iter_nodes(self.engines[ruleset_pk].root) if isinstance(node, TestNode)
            }
        return self._built[ruleset_pk].get(node_id)
