"""Demo designations: the titles each stratum holds, with dates around the reference day.

Held titles were granted within their validity (a uniform spread puts ~8% within 90 days of 复核);
some enterprises hold a title that expired in the last four months (the "expired in the period" of
a report). Chain leaders: the largest firm of each cluster in the batch, if it has tens of billions.
"""

from __future__ import annotations

import numpy as np

from tracker.demo import strata as s
from tracker.demo.tables import Column, DemoContext, Table, days_since_epoch

EXPIRED_INNOVATIVE_P = 0.01  # ordinary firms whose 创新型 title lapsed recently
EXPIRED_SPECIALIZED_P = 0.04  # 创新型 holders whose 专精特新 title lapsed recently
CHAMPION_HELD_P = 0.5
DOCUMENT = {
    "innovative_sme": ("苏工信中小〔", 10, 300),
    "specialized_sme": ("苏工信中小〔", 300, 600),
    "little_giant": ("工信厅企业函〔", 100, 400),
    "single_champion": ("工信部联政法〔", 100, 200),
}


def designations(ctx: DemoContext, rng, strata: s.Strata, revenue: np.ndarray, cluster: np.ndarray) -> Table:
    n = strata.stage.size
    ref = np.datetime64(ctx.reference_date, "D")
    lapsed_innovative = (strata.stage == s.ORDINARY) & (rng.random(n) < EXPIRED_INNOVATIVE_P)
    lapsed_specialized = (strata.stage == s.INNOVATIVE) & (rng.random(n) < EXPIRED_SPECIALIZED_P)
    parts = [
        ("innovative_sme", strata.stage >= s.INNOVATIVE, False),
        ("innovative_sme", lapsed_innovative, True),
        ("specialized_sme", strata.stage >= s.SPECIALIZED, False),
        ("specialized_sme", lapsed_specialized, True),
        ("little_giant", strata.stage == s.LITTLE_GIANT, False),
        ("single_champion", strata.champion & (rng.random(n) < CHAMPION_HELD_P), False),
    ]
    owner, tier, recognized, valid_until = [], [], [], []
    for code, chosen, lapsed in parts:
        rows = np.flatnonzero(chosen)
        span = round((ctx.tier_validity.get(code) or 3) * 365.25)
        if lapsed:  # expired 1–120 days before the reference day
            end = ref - rng.integers(1, 121, rows.size).astype("timedelta64[D]")
            start = end - np.timedelta64(span - 1, "D")
        else:  # granted 20 days to a full term ago: still valid on the reference day and the day before
            start = ref - rng.integers(20, span - 1, rows.size).astype("timedelta64[D]")
            end = start + np.timedelta64(span - 1, "D")
        owner.append(rows)
        tier.append(np.full(rows.size, code, dtype=object))
        recognized.append(start)
        valid_until.append(end)
    owner = np.concatenate(owner)
    tier = np.concatenate(tier)
    recognized_on = np.concatenate(recognized)
    valid_until = np.concatenate(valid_until)
    status = np.where(valid_until < ref, "expired", np.where(valid_until < ref + 90, "review_due", "active")).astype(
        object
    )
    year = recognized_on.astype("datetime64[Y]").astype(np.int64) + 1970
    first_half = (recognized_on - recognized_on.astype("datetime64[Y]")).astype(np.int64) < 182
    m = owner.size
    prefix = np.array([DOCUMENT[t][0] for t in tier], dtype=object)
    low = np.array([DOCUMENT[t][1] for t in tier])
    high = np.array([DOCUMENT[t][2] for t in tier])
    number = (low + rng.random(m) * (high - low)).astype(np.int64)
    year_text = year.astype(str).astype(object)
    document_no = (prefix + year_text + "〕" + number.astype(str).astype(object) + "号").astype(object)
    batch = (year_text + "年第" + np.where(first_half, "一", "二").astype(object) + "批").astype(object)
    cluster_pos = np.full(m, -1)

    leaders = _chain_leaders(revenue, cluster)
    if leaders.size:
        k = leaders.size
        lead_year = rng.integers(int(ctx.years[-1]) - 2, int(ctx.years[-1]) + 1, k)
        owner = np.concatenate([owner, leaders])
        tier = np.concatenate([tier, np.full(k, "chain_leader", dtype=object)])
        recognized_on = np.concatenate([recognized_on, days_since_epoch(lead_year, rng.integers(150, 330, k))])
        valid_until = np.concatenate([valid_until, np.full(k, np.datetime64("NaT"), dtype="datetime64[D]")])
        status = np.concatenate([status, np.full(k, "active", dtype=object)])
        document_no = np.concatenate(
            [document_no, ("苏工信产业〔" + lead_year.astype(str).astype(object) + "〕86号").astype(object)]
        )
        batch = np.concatenate([batch, (lead_year.astype(str).astype(object) + "年").astype(object)])
        cluster_pos = np.concatenate([cluster_pos, cluster[leaders]])
    return Table(
        {
            "tier_id": Column("text", tier),
            "cluster_id": Column(
                "int", np.where(cluster_pos >= 0, ctx.cluster_ids[np.maximum(cluster_pos, 0)], 0), null=cluster_pos < 0
            ),
            "batch": Column("text", batch),
            "document_no": Column("text", document_no),
            "recognized_on": Column("date", recognized_on),
            "valid_until": Column("date", valid_until, null=np.isnat(valid_until)),
            "status": Column("text", status),
            "note": Column("text", np.full(owner.size, "", dtype=object)),
        },
        owner=owner,
    )


def _chain_leaders(revenue: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """The enterprise with the largest latest revenue of each cluster, where it reaches 10 bn yuan."""
    order = np.lexsort((-revenue, cluster))
    first = np.r_[True, cluster[order][1:] != cluster[order][:-1]]
    best = order[first]
    return best[revenue[best] >= 1e10]
