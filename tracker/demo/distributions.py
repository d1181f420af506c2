"""Vectorised demo data: one batch of enterprises with memberships, annual metrics and designations.

Every column is a NumPy array drawn from one ``numpy.random.Generator``, so a seed reproduces the
data exactly. Rows refer to enterprises by their position in the batch; the writer maps positions to
database ids. Amounts are whole yuan, ratios have 4 decimals, scores 1 decimal.
"""

from __future__ import annotations

import numpy as np

from tracker.demo import strata, titles
from tracker.demo.identifiers import demo_usccs
from tracker.demo.tables import Column, DemoBatch, DemoContext, Table, days_since_epoch

__all__ = ["CITY_WEIGHTS", "Column", "DemoBatch", "DemoContext", "Table", "generate_batch"]

# Relative weight of each city (by code) in the demo population, roughly its share of industrial firms.
CITY_WEIGHTS = {
    "320100": 10,
    "320200": 13,
    "320300": 6,
    "320400": 9,
    "320500": 22,
    "320600": 9,
    "320700": 3,
    "320800": 3,
    "320900": 5,
    "321000": 5,
    "321100": 4,
    "321200": 5,
    "321300": 3,
}
SECTORS = np.array(["industry", "software_it", "wholesale", "construction", "transport", "other"], dtype=object)
SECTOR_P = [0.86, 0.06, 0.03, 0.015, 0.015, 0.02]
RD_INSTITUTION_LEVELS = ("none", "below_city", "city", "provincial", "national")
AWARD_LEVELS = ("none", "provincial", "national")
CHUANGKE_RANKS = ("none", "top500", "top50")

# Share of missing values per metric (the engine must see "unknown", never a zero). Attested inputs
# (market position, niche share and rank, the platform score) are missing far more often than filed figures.
MISSING = {
    "revenue": 0.025,
    "main_business_revenue": 0.04,
    "rd_expense": 0.035,
    "net_profit": 0.03,
    "total_assets": 0.03,
    "total_liabilities": 0.035,
    "equity_financing": 0.02,
    "employees": 0.025,
    "rd_staff": 0.04,
    "ip_class1": 0.04,
    "ip_class1_self_developed": 0.05,
    "ip_class1_high_value": 0.05,
    "ip_class2": 0.045,
    "niche_market_share": 0.30,
    "niche_market_rank_cn": 0.40,
    "digital_level": 0.05,
    "rd_institution_level": 0.035,
    "platform_score": 0.30,
    "local_procurement_ratio": 0.05,
    "high_tech_certified": 0.03,
    "qms_certified": 0.04,
    "quality_award": 0.04,
    "own_brand": 0.04,
    "standards_drafting": 0.045,
    "sei_field": 0.035,
    "key_chain_link": 0.05,
    "six_foundations": 0.05,
    "compliance_ok": 0.025,
    "market_position_leading": 0.50,
    "st_award_level": 0.015,
    "chuangke_rank": 0.015,
}


def _choice(rng, labels, p, size) -> Column:
    return Column("choice", rng.choice(len(labels), size=size, p=p), labels=tuple(labels))


def generate_batch(ctx: DemoContext, rng: np.random.Generator, serials: np.ndarray) -> DemoBatch:
    """One batch of demo enterprises for the given (unique) serials."""
    n = serials.size
    last_year = int(ctx.years[-1])

    # --- enterprise ------------------------------------------------------------------------------
    region = rng.choice(len(ctx.region_ids), size=n, p=ctx.region_p)
    first, second, phrase, block = ctx.names.parts(serials)
    cluster = ctx.names.phrase_cluster[phrase]
    high_flyer = rng.random(n) < 0.003  # young, venture-backed, highly valued
    large = rng.random(n) < 0.0015  # groups with tens of billions of revenue, possible chain leaders
    age = np.clip(np.round(rng.lognormal(np.log(11), 0.6, n)), 1, 45).astype(np.int64)
    age = np.where(high_flyer, rng.integers(2, 9, n), np.where(large, np.maximum(age, 12), age))
    founded_year = last_year - age + 1
    niche_since = np.minimum(founded_year + rng.geometric(0.35, n) - 1, last_year)

    log_revenue = rng.normal(np.log(6e7), 1.45, n)
    log_revenue = np.where(large, rng.normal(np.log(2.5e10), 0.6, n), log_revenue)
    log_revenue = np.where(high_flyer, rng.normal(np.log(3e8), 0.9, n), log_revenue)
    revenue_last = np.exp(log_revenue)
    sector = rng.choice(len(SECTORS), size=n, p=SECTOR_P)
    tiers = strata.assign(rng, n, large, high_flyer)
    strata.shape_enterprises(
        tiers,
        rng,
        last_year=last_year,
        founded_year=founded_year,
        niche_since=niche_since,
        revenue_last=revenue_last,
        sector=sector,
    )
    founded_on = days_since_epoch(founded_year, rng.integers(0, 365, n))

    listed = (large & (rng.random(n) < 0.6)) | ((revenue_last > 2e9) & (rng.random(n) < 0.25)) | (rng.random(n) < 0.002)
    listed_year = np.minimum(founded_year + rng.integers(3, 15, n), last_year)
    listed_on = days_since_epoch(listed_year, rng.integers(0, 365, n))
    joint_stock = listed | (rng.random(n) < 0.12)
    vc_backed = high_flyer | (rng.random(n) < 0.05)

    software = np.array([c == "software_information_services" for c in ctx.cluster_codes])[cluster]
    sector = np.where(software & (rng.random(n) < 0.8) & ~tiers.shaped, 1, sector)

    segment_pick = rng.random(n)
    segment = np.empty(n, dtype=np.int64)
    main_product = np.empty(n, dtype=object)
    for c in np.unique(cluster):
        rows = np.flatnonzero(cluster == c)
        pick = (segment_pick[rows] * len(ctx.segment_ids[c])).astype(np.int64)
        segment[rows] = ctx.segment_ids[c][pick] if len(ctx.segment_ids[c]) else -1
        main_product[rows] = ctx.segment_names[c][pick] if len(ctx.segment_ids[c]) else ""

    region_id, region_code = ctx.registration(rng, region)
    usccs = demo_usccs(region_code, serials, rng.integers(0, 31, n))
    names = ctx.names.names(ctx.city_names[region], first, second, phrase, block, joint_stock)
    unknown_vc = rng.random(n) < 0.15
    enterprises = Table(
        {
            "uscc": Column("text", np.char.decode(usccs, "ascii").astype(object)),
            "name": Column("text", np.array(names, dtype=object)),
            "region_id": Column("int", region_id),
            "founded_on": Column("date", founded_on),
            "listed": Column("bool", listed),
            "listed_on": Column("date", listed_on, null=~listed),
            "sector": Column("choice", sector, labels=tuple(SECTORS)),
            "niche_since": Column("int", niche_since, null=(rng.random(n) < 0.08) & ~tiers.shaped),
            "main_product": Column("text", main_product),
            "product_code": Column("text", np.full(n, "", dtype=object)),
            "uscc_check_override": Column("text", np.full(n, "", dtype=object)),
            "vc_backed": Column("bool", vc_backed, null=unknown_vc & ~high_flyer),
            "group_has_little_giant": Column(
                "bool", (rng.random(n) < 0.02) & ~tiers.giant, null=(rng.random(n) < 0.5) & ~tiers.giant
            ),
        }
    )

    # --- cluster memberships: the phrase's cluster, and a second one for some ---------------------
    n_clusters = len(ctx.cluster_ids)
    has_second = rng.random(n) < 0.3
    second_cluster = (cluster + rng.integers(1, n_clusters, n)) % n_clusters
    owners = np.concatenate([np.arange(n), np.flatnonzero(has_second)])
    member_cluster = np.concatenate([cluster, second_cluster[has_second]])
    member_segment = np.concatenate([segment, np.full(int(has_second.sum()), -1)])
    second_rows = np.arange(n, owners.size)
    picks = rng.random(second_rows.size)
    for c in np.unique(member_cluster[second_rows]) if second_rows.size else ():
        rows = second_rows[member_cluster[second_rows] == c]
        if len(ctx.segment_ids[c]):
            member_segment[rows] = ctx.segment_ids[c][(picks[rows - n] * len(ctx.segment_ids[c])).astype(np.int64)]
    memberships = Table(
        {
            "cluster_id": Column("int", ctx.cluster_ids[member_cluster]),
            "segment_id": Column("int", member_segment, null=member_segment < 0),
        },
        owner=owners,
    )

    metrics = _metrics(ctx, rng, n, founded_year, revenue_last, high_flyer, large, vc_backed, tiers)
    designations = titles.designations(ctx, rng, tiers, revenue_last, cluster)
    return DemoBatch(enterprises, memberships, metrics, designations)


def _metrics(ctx, rng, n, founded_year, revenue_last, high_flyer, large, vc_backed, tiers) -> Table:
    years = ctx.years
    n_years = years.size
    # Growth: a firm-level trend plus AR(1) shocks, so good and bad years cluster.
    trend = rng.normal(0.08, 0.10, n) + np.where(high_flyer, 0.35, 0.0)
    shocks = np.empty((n, n_years))
    shocks[:, 0] = rng.normal(0, 0.12, n)
    for t in range(1, n_years):
        shocks[:, t] = 0.5 * shocks[:, t - 1] + rng.normal(0, 0.10, n)
    growth = strata.growth(tiers, rng, np.clip(trend[:, None] + shocks, -0.6, 2.5))
    revenue = np.empty((n, n_years))
    revenue[:, -1] = revenue_last
    for t in range(n_years - 1, 0, -1):
        revenue[:, t - 1] = revenue[:, t] / (1 + growth[:, t])
    revenue = np.maximum(revenue, 1e5)

    def per_year(values):
        return np.broadcast_to(values[:, None], (n, n_years))

    main_share = per_year(rng.beta(9, 1.6, n)) * np.clip(rng.normal(1, 0.02, (n, n_years)), 0.9, 1.0)
    rd_ratio = np.clip(per_year(rng.lognormal(np.log(0.015), 0.6, n)) * rng.lognormal(0, 0.15, (n, n_years)), 0, 0.5)
    margin = per_year(rng.normal(0.06, 0.07, n)) + rng.normal(0, 0.03, (n, n_years))
    assets = revenue * per_year(rng.lognormal(np.log(1.1), 0.4, n))
    debt_ratio = np.clip(per_year(0.2 + 0.7 * rng.beta(2.2, 2.5, n)) + rng.normal(0, 0.03, (n, n_years)), 0.05, 0.98)
    productivity = per_year(rng.lognormal(np.log(9e5), 0.5, n))
    employees = np.maximum(np.round(revenue / productivity), 3)
    rd_staff = np.floor(employees * per_year(rng.beta(2, 9, n)))
    financed = per_year(vc_backed) & (rng.random((n, n_years)) < 0.3)
    equity = np.where(financed, rng.lognormal(np.log(3e7), 1.0, (n, n_years)), 0.0)
    ip_rate = per_year(np.clip(revenue_last * 0.015 / 4e6, 0.1, 60))
    ip_growth = 0.7 + 0.1 * np.arange(n_years)[None, :]
    ip1 = rng.poisson(ip_rate * ip_growth)
    ip1_self = rng.binomial(ip1, 0.85)
    ip1_high = rng.binomial(ip1, 0.3)
    ip2 = rng.poisson(ip_rate * ip_growth * 3)
    niche_share = np.clip(per_year(rng.beta(1.1, 25, n)) * rng.lognormal(0, 0.1, (n, n_years)), 0, 1)
    niche_rank = np.maximum(1, np.round(0.25 / np.maximum(niche_share, 1e-4))).astype(np.int64)
    big_and_leading = per_year((revenue_last > 5e8) & (rng.random(n) < 0.15))
    global_rank = rng.integers(1, 21, (n, n_years))
    valuation = per_year(rng.lognormal(np.log(3e8), 0.8, n)) * (1.3 ** (np.arange(n_years) - n_years + 1))
    cumulative = valuation * per_year(rng.uniform(0.1, 0.3, n))
    big = per_year(revenue_last > 1e9)
    suppliers = rng.poisson(np.maximum(revenue / 5e7, 1))
    first_year = founded_year[:, None] <= years[None, :]

    def flag(p):
        firm = rng.random(n) < p
        flips = rng.random((n, n_years)) < 0.03
        return per_year(firm) ^ flips

    def award_rank(levels):
        return Column("int", rng.integers(1, 6, (n, n_years)), null=levels == 0)

    st_award = rng.choice(3, size=(n, n_years), p=[0.98, 0.017, 0.003])
    columns = {
        "revenue": Column("money", np.round(revenue)),
        "main_business_revenue": Column("money", np.floor(revenue * main_share)),
        "rd_expense": Column("money", np.round(revenue * rd_ratio)),
        "net_profit": Column("money", np.round(revenue * margin)),
        "total_assets": Column("money", np.round(assets)),
        "total_liabilities": Column("money", np.round(assets * debt_ratio)),
        "equity_financing": Column("money", np.round(equity)),
        "employees": Column("int", employees),
        "rd_staff": Column("int", rd_staff),
        "ip_class1": Column("int", ip1),
        "ip_class1_self_developed": Column("int", ip1_self),
        "ip_class1_high_value": Column("int", ip1_high),
        "ip_class2": Column("int", ip2),
        "niche_market_share": Column("ratio", np.round(niche_share * 10_000)),
        "niche_market_rank_cn": Column("int", niche_rank),
        "global_market_rank": Column("int", global_rank, null=~big_and_leading),
        "valuation_usd": Column("money", np.round(valuation), null=~per_year(high_flyer)),
        "cumulative_financing_usd": Column("money", np.round(cumulative), null=~per_year(high_flyer)),
        "digital_level": _choice(rng, range(5), [0.1, 0.3, 0.35, 0.2, 0.05], (n, n_years)),
        "rd_institution_level": _choice(rng, RD_INSTITUTION_LEVELS, [0.6, 0.18, 0.16, 0.05, 0.01], (n, n_years)),
        "platform_score": Column(
            "score",
            np.round(np.clip(rng.normal(65, 12, (n, n_years)), 0, 100) * 10),
            null=np.broadcast_to(years[None, :] < years[-1], (n, n_years)),  # the platform is new
        ),
        # 特色化 points are attested by a bureau: unknown unless strata.shape_metrics sets them.
        "distinctiveness_points": Column("score", np.zeros((n, n_years)), null=np.ones((n, n_years), dtype=bool)),
        "local_suppliers": Column("int", suppliers, null=~big),
        "local_procurement_ratio": Column("ratio", np.round(rng.beta(3, 4, (n, n_years)) * 10_000), null=~big),
        "high_tech_certified": Column("bool", flag(0.08)),
        "qms_certified": Column("bool", flag(0.75)),
        "quality_award": Column("bool", flag(0.03)),
        "own_brand": Column("bool", flag(0.6)),
        "standards_drafting": Column("bool", flag(0.15)),
        "sei_field": Column("bool", flag(0.55)),
        "key_chain_link": Column("bool", flag(0.1)),
        "six_foundations": Column("bool", flag(0.2)),
        "compliance_ok": Column("bool", flag(0.96)),
        "market_position_leading": Column("bool", flag(0.1)),
        "st_award_level": Column("choice", st_award, labels=AWARD_LEVELS),
        "st_award_rank": award_rank(st_award),
        "chuangke_rank": _choice(rng, CHUANGKE_RANKS, [0.97, 0.025, 0.005], (n, n_years)),
    }
    for name, column in columns.items():
        missing = rng.random((n, n_years)) < MISSING.get(name, 0.0)
        column.null = missing if column.null is None else (column.null | missing)
    # st_award_rank only with a known, non-"none" award level (model constraint).
    columns["st_award_rank"].null |= columns["st_award_level"].null
    strata.shape_metrics(tiers, rng, columns)

    # Whole years missing for some firms; no rows before the founding year.
    dropped = np.zeros((n, n_years), dtype=bool)
    gap_firms = (rng.random(n) < 0.03) & ~tiers.shaped
    dropped[np.flatnonzero(gap_firms), rng.integers(0, n_years, int(gap_firms.sum()))] = True
    keep = first_year & ~dropped
    owner, year_index = np.nonzero(keep)
    for column in columns.values():
        column.values = np.ascontiguousarray(column.values)[owner, year_index]
        column.null = np.ascontiguousarray(column.null)[owner, year_index]
    columns = {"fiscal_year": Column("int", years[year_index]), **columns}
    return Table(columns, owner=owner)
