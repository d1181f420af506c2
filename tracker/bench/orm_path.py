"""The per-enterprise ORM path (the baseline the pipeline must beat ≥ 100×), on a sample.

For each sampled enterprise: ORM queries for the enterprise, its metrics, designations and memberships
(plus one COUNT per membership for the revenue rank in the cluster), FactTable.from_records, the
engine, and EligibilityResult.objects.update_or_create per tier (and per cluster for per-cluster tiers).
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
from django.utils import timezone

from tracker import rules
from tracker.models import AnnualMetrics, ClusterMembership, Designation, EligibilityResult, Enterprise
from tracker.pipeline.facts_loader import YEARS_BACK, per_cluster_tiers, split_tiers
from tracker.rules.fields import ATTRIBUTE_FIELDS, METRIC_FIELDS
from tracker.selectors.rulesets import RulesetCatalog, engine_parameters, near_miss_rule

ENTERPRISE_ATTRS = [name for name in ATTRIBUTE_FIELDS if name not in ("cluster_group", "revenue_rank_in_cluster")]


def _sample_ids(sample: int) -> list[int]:
    ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
    if len(ids) <= sample:
        return ids
    step = len(ids) / sample
    return [ids[int(i * step)] for i in range(sample)]


def orm_recompute(*, sample: int, as_of: dt.date) -> dict:
    ids = _sample_ids(sample)
    fiscal_year = as_of.year - 1
    parameters = engine_parameters()
    near_miss = near_miss_rule()
    started = time.perf_counter()
    catalog = RulesetCatalog.active()
    tiers = split_tiers(catalog.tiers(), per_cluster_tiers())
    writes = 0
    for enterprise_id in ids:
        writes += _one(enterprise_id, catalog, tiers, as_of, fiscal_year, parameters, near_miss)
    seconds = time.perf_counter() - started
    return {"sample": len(ids), "seconds": seconds, "writes": writes}


def _one(enterprise_id, catalog, tiers, as_of, fiscal_year, parameters, near_miss) -> int:
    enterprise_tiers, cluster_tiers = tiers
    enterprise = Enterprise.objects.select_related("region").get(pk=enterprise_id)
    metrics = list(
        AnnualMetrics.objects.filter(enterprise=enterprise, fiscal_year__range=(fiscal_year - YEARS_BACK, fiscal_year))
    )
    held = list(
        Designation.objects.filter(enterprise=enterprise)
        .held_titles(as_of)
        .values_list("tier_id", "cluster_id", "granted_on")
    )
    memberships = list(ClusterMembership.objects.filter(enterprise=enterprise).select_related("cluster"))
    attributes = {name: getattr(enterprise, name) for name in ENTERPRISE_ATTRS}
    metric_rows = [
        {"fiscal_year": m.fiscal_year, **{name: getattr(m, name) for name in METRIC_FIELDS}} for m in metrics
    ]
    revenue = next((m.revenue for m in metrics if m.fiscal_year == fiscal_year), None)
    record = {
        "attributes": attributes,
        "metrics": metric_rows,
        "designations": {t: day for t, _cluster, day in held if t in enterprise_tiers},
    }
    records, clusters = [record], [None]
    for membership in memberships:
        rank = None
        if revenue is not None:
            rank = (
                1
                + ClusterMembership.objects.filter(
                    cluster_id=membership.cluster_id,
                    enterprise__metrics__fiscal_year=fiscal_year,
                    enterprise__metrics__revenue__gt=revenue,
                ).count()
            )
        records.append(
            {
                "attributes": {
                    **attributes,
                    "cluster_group": membership.cluster.group,
                    "revenue_rank_in_cluster": rank,
                },
                "metrics": metric_rows,
                "designations": {
                    **record["designations"],
                    **{t: day for t, cluster, day in held if t in cluster_tiers and cluster == membership.cluster_id},
                },
            }
        )
        clusters.append(membership.cluster_id)
    facts = rules.FactTable.from_records(records)
    now = timezone.now()
    writes = 0
    region = enterprise.region.code
    for row, cluster_id in enumerate(clusters):
        row_tiers = cluster_tiers if cluster_id else enterprise_tiers
        chosen = {}
        for tier in row_tiers:
            mode = "review" if facts.holds(tier)[row] else "new"
            granted = rules.facts.date_from_day_number(float(facts.granted_on(tier)[row]))
            pk = catalog.select(tier=tier, as_of=as_of, mode=mode, region_code=region, granted_on=granted)
            if pk:
                chosen[tier] = pk
        if not chosen:
            continue
        outcomes = rules.evaluate(
            {t: catalog.engine[pk] for t, pk in chosen.items()},
            facts.take([row]),
            as_of=as_of,
            fiscal_year=fiscal_year,
            parameters=parameters,
            near_miss=near_miss,
        )
        for tier, outcome in outcomes.items():
            EligibilityResult.objects.update_or_create(
                enterprise=enterprise,
                tier_id=tier,
                fiscal_year=fiscal_year,
                cluster_id=cluster_id,
                defaults={
                    "status": outcome.status_name(0),
                    "score": _float(outcome.score[0]),
                    "failing_count": int(outcome.failing_count[0]),
                    "shortfall": _float(outcome.shortfall[0]),
                    "near_miss": bool(outcome.near_miss[0]),
                    "ruleset_id": chosen[tier],
                    "failed_nodes": outcome.failed_bits[0].tobytes(),
                    "unknown_nodes": outcome.unknown_bits[0].tobytes(),
                    "input_hash": 0,
                    "evaluated_at": now,
                },
            )
            writes += 1
    return writes


def _float(value) -> float | None:
    return None if np.isnan(value) else float(value)
