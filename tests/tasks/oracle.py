"""An independent path to the expected results: facts read through the ORM, one record per row,
``FactTable.from_records`` and ``tracker.rules.evaluate`` (none of the pipeline's SQL, COPY, hashing
or change detection)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from django.conf import settings

from tracker import rules
from tracker.models import AnnualMetrics, ClusterMembership, Designation, EligibilityResult, Enterprise, Ruleset, Tier
from tracker.models.designations import HOLDING_STATUSES
from tracker.rules.fields import METRIC_FIELDS
from tracker.selectors.rulesets import engine_parameters, engine_ruleset

ATTRIBUTES = ("founded_on", "listed", "listed_on", "sector", "niche_since", "vc_backed", "group_has_little_giant")


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str, dt.date)):
        return value
    return float(value)  # Decimal


def expected_results(*, as_of: dt.date, enterprise_ids=None, tiers=None) -> dict:
    """{(enterprise_id, tier, cluster_id or None): comparable tuple} as the engine computes it."""
    fiscal_year = as_of.year - 1
    enterprises = Enterprise.objects.select_related("region").order_by("id")
    if enterprise_ids is not None:
        enterprises = enterprises.filter(id__in=enterprise_ids)
    enterprises = list(enterprises)
    ids = [e.id for e in enterprises]
    metrics = defaultdict(list)
    for m in AnnualMetrics.objects.filter(enterprise_id__in=ids, fiscal_year__range=(fiscal_year - 4, fiscal_year)):
        row = {"fiscal_year": m.fiscal_year}
        row.update({name: _plain(getattr(m, name)) for name in METRIC_FIELDS})
        metrics[m.enterprise_id].append(row)
    per_cluster = set(Tier.objects.filter(per_cluster=True).values_list("code", flat=True))
    held = defaultdict(dict)  # enterprise → {(tier, cluster or None): latest grant date}
    for d in Designation.objects.filter(enterprise_id__in=ids, status__in=HOLDING_STATUSES, recognized_on__lte=as_of):
        if d.valid_until is None or d.valid_until >= as_of:
            key = (d.tier_id, d.cluster_id if d.tier_id in per_cluster else None)
            held[d.enterprise_id][key] = max(held[d.enterprise_id].get(key, d.recognized_on), d.recognized_on)
    # Revenue rank within each cluster, over every member (not only the selected enterprises).
    revenue_by_cluster = defaultdict(list)
    revenue_of = dict(
        AnnualMetrics.objects.filter(fiscal_year=fiscal_year, revenue__isnull=False).values_list("enterprise_id", "revenue")
    )
    memberships = defaultdict(list)
    for enterprise_id, cluster_id, group in ClusterMembership.objects.order_by("cluster_id").values_list(
        "enterprise_id", "cluster_id", "cluster__group"
    ):
        memberships[enterprise_id].append((cluster_id, group))
        if enterprise_id in revenue_of:
            revenue_by_cluster[cluster_id].append(float(revenue_of[enterprise_id]))

    catalog = [engine_ruleset(r) for r in Ruleset.objects.filter(status="active").select_related("jurisdiction")]
    pk_of = {id(engine_ruleset(r)): r.pk for r in Ruleset.objects.filter(status="active").select_related("jurisdiction")}
    all_tiers = sorted({r.tier for r in catalog})
    wanted = set(tiers or all_tiers)

    rows = []  # (key enterprise_id, cluster_id, region_code, record)
    for e in enterprises:
        attributes = {name: getattr(e, name) for name in ATTRIBUTES}
        own = {t: day for (t, c), day in held[e.id].items() if t not in per_cluster}
        base = {"attributes": attributes, "metrics": metrics[e.id], "designations": own}
        rows.append((e.id, None, e.region.code, base, [t for t in all_tiers if t not in per_cluster]))
        cluster_tiers = [t for t in all_tiers if t in per_cluster]
        if cluster_tiers:
            revenue = next((m["revenue"] for m in metrics[e.id] if m["fiscal_year"] == fiscal_year), None)
            for cluster_id, group in memberships[e.id]:
                others = revenue_by_cluster[cluster_id]
                rank = None if revenue is None else 1 + sum(1 for r in others if r > revenue)
                record = {
                    "attributes": {**attributes, "cluster_group": group,
                                   "revenue_rank_in_cluster": rank},
                    "metrics": metrics[e.id],
                    "designations": {
                        **own,
                        **{t: day for (t, c), day in held[e.id].items() if t in per_cluster and c == cluster_id},
                    },
                }
                rows.append((e.id, cluster_id, e.region.code, record, cluster_tiers))

    groups = defaultdict(list)
    for enterprise_id, cluster_id, region_code, record, row_tiers in rows:
        chosen = []
        for tier in row_tiers:
            mode = "review" if tier in record["designations"] else "new"
            ruleset = rules.select_ruleset(
                catalog, tier=tier, as_of=as_of, mode=mode, region_code=region_code,
                granted_on=record["designations"].get(tier),
            )
            if ruleset is not None:
                chosen.append((tier, pk_of[id(ruleset)]))
        groups[tuple(chosen)].append((enterprise_id, cluster_id, record))

    by_pk = {pk_of[id(r)]: r for r in catalog}
    out = {}
    for chosen, members in groups.items():
        if not chosen:
            continue
        facts = rules.FactTable.from_records([m[2] for m in members])
        outcomes = rules.evaluate(
            {tier: by_pk[pk] for tier, pk in chosen}, facts, as_of=as_of, fiscal_year=fiscal_year,
            parameters=engine_parameters(),
            near_miss=rules.NearMiss(
                tolerance=settings.TIDU["NEAR_MISS_TOLERANCE"], max_failing=settings.TIDU["NEAR_MISS_MAX_FAILING"]
            ),
        )
        for tier, pk in chosen:
            if tier not in wanted:
                continue
            o = outcomes[tier]
            for i, (enterprise_id, cluster_id, _) in enumerate(members):
                out[(enterprise_id, tier, cluster_id)] = (
                    rules.STATUS_NAMES[int(o.status[i])],
                    _num(o.score[i]),
                    int(o.failing_count[i]),
                    _num(o.shortfall[i]),
                    bool(o.near_miss[i]),
                    pk,
                    o.failed_bits[i].tobytes(),
                    o.unknown_bits[i].tobytes(),
                )
    return out


def _num(value):
    value = None if value is None else float(value)
    return None if value is None or math.isnan(value) else round(value, 9)


def stored_results(*, fiscal_year: int, enterprise_ids=None, tiers=None) -> dict:
    """The stored results in the same shape as :func:`expected_results`."""
    qs = EligibilityResult.objects.filter(fiscal_year=fiscal_year)
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=enterprise_ids)
    if tiers:
        qs = qs.filter(tier_id__in=tiers)
    out = {}
    for r in qs.iterator():
        key = (r.enterprise_id, r.tier_id, r.cluster_id)
        assert key not in out, f"duplicate result {key}"
        out[key] = (r.status, _num(r.score), r.failing_count, _num(r.shortfall), r.near_miss, r.ruleset_id,
                    bytes(r.failed_nodes), bytes(r.unknown_nodes))
    return out


def result_snapshot(fiscal_year: int) -> set:
    """(enterprise, tier, cluster, status, score, input_hash) of every stored result."""
    return {
        (e, t, c, s, _num(sc), h)
        for e, t, c, s, sc, h in EligibilityResult.objects.filter(fiscal_year=fiscal_year).values_list(
            "enterprise_id", "tier_id", "cluster_id", "status", "score", "input_hash"
        )
    }


def assert_same(stored: dict, expected: dict) -> None:
    assert set(stored) == set(expected), (
        f"missing {sorted(set(expected) - set(stored))[:5]}, unexpected {sorted(set(stored) - set(expected))[:5]}"
    )
    differing = [(k, stored[k], expected[k]) for k in expected if stored[k] != expected[k]]
    assert not differing, f"{len(differing)} results differ from the engine, e.g. {differing[:3]}"
