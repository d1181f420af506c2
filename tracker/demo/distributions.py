"""Vectorised demo data: one batch of enterprises with memberships, annual metrics and designations.

Every column is a NumPy array drawn from one ``numpy.random.Generator``, so a seed reproduces the
data exactly. Rows refer to enterprises by their position in the batch; the writer maps positions to
database ids. Amounts are whole yuan, ratios have 4 decimals, scores 1 decimal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from tracker.demo.identifiers import demo_usccs
from tracker.demo.names import NameSpace

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

# Share of missing values per metric (the engine must see "unknown", never a zero).
MISSING = {
    "revenue": 0.05,
    "main_business_revenue": 0.08,
    "rd_expense": 0.07,
    "net_profit": 0.06,
    "total_assets": 0.06,
    "total_liabilities": 0.07,
    "equity_financing": 0.10,
    "employees": 0.05,
    "rd_staff": 0.08,
    "ip_class1": 0.08,
    "ip_class1_self_developed": 0.10,
    "ip_class1_high_value": 0.10,
    "ip_class2": 0.09,
    "niche_market_share": 0.30,
    "niche_market_rank_cn": 0.40,
    "digital_level": 0.10,
    "rd_institution_level": 0.07,
    "platform_score": 0.30,
    "local_procurement_ratio": 0.10,
    "high_tech_certified": 0.06,
    "qms_certified": 0.08,
    "quality_award": 0.08,
    "own_brand": 0.08,
    "standards_drafting": 0.09,
    "sei_field": 0.07,
    "key_chain_link": 0.10,
    "six_foundations": 0.10,
    "compliance_ok": 0.05,
    "market_position_leading": 0.50,
    "st_award_level": 0.08,
    "chuangke_rank": 0.08,
}


@dataclass
class Column:
    """A typed column: ``kind`` is int, money, ratio (10⁻⁴ units), score (10⁻¹ units), bool, date, text
    or choice (an index into ``labels``); ``null`` marks missing values."""

    kind: str
    values: np.ndarray
    null: np.ndarray | None = None
    labels: tuple[str, ...] = ()


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    owner: np.ndarray | None = None  # enterprise position in the batch, for child tables

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())).values)


@dataclass
class DemoContext:
    """What the generator needs from the reference data, as arrays."""

    region_ids: np.ndarray
    region_codes: np.ndarray
    city_names: np.ndarray
    region_p: np.ndarray
    cluster_ids: np.ndarray
    cluster_codes: list[str]
    segment_ids: list[np.ndarray]  # per cluster position
    segment_names: list[np.ndarray]
    tier_validity: dict[str, int | None]
    years: np.ndarray  # ascending fiscal years
    reference_date: dt.date  # designation statuses are as of this day
    names: NameSpace = field(init=False)

    def __post_init__(self):
        self.names = NameSpace(self.cluster_codes)


@dataclass
class DemoBatch:
    enterprises: Table
    memberships: Table
    metrics: Table
    designations: Table


def _days(year: np.ndarray, day_of_year: np.ndarray) -> np.ndarray:
    return (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day_of_year.astype("timedelta64[D]")


def _choice(rng, labels, p, size) -> Column:
    return Column("choice", rng.choice(len(labels), size=size, p=p), labels=tuple(labels))


def generate_batch(ctx: DemoContext, rng: np.random.Generator, serials: np.ndarray) -> DemoBatch:
    """One batch of demo enterprises for the given (unique) serials."""
    n = serials.size
    last_year = int(ctx.years[-1])

    # --- enterprise ------------------------------------------------------------------------------
    region = rng.choice(len(ctx.region_ids), size=n, p=ctx.region_p)
    first, second, phrase = ctx.names.parts(serials)
    cluster = ctx.names.phrase_cluster[phrase]
    high_flyer = rng.random(n) < 0.006  # young, venture-backed, highly valued
    large = rng.random(n) < 0.0015  # groups with tens of billions of revenue, possible chain leaders
    age = np.clip(np.round(rng.lognormal(np.log(11), 0.6, n)), 1, 45).astype(np.int64)
    age = np.where(high_flyer, rng.integers(2, 9, n), np.where(large, np.maximum(age, 12), age))
    founded_year = last_year - age + 1
    founded_on = _days(founded_year, rng.integers(0, 365, n))
    niche_since = np.minimum(founded_year + rng.geometric(0.35, n) - 1, last_year)

    log_revenue = rng.normal(np.log(6e7), 1.45, n)
    log_revenue = np.where(large, rng.normal(np.log(2.5e10), 0.6, n), log_revenue)
    log_revenue = np.where(high_flyer, rng.normal(np.log(3e8), 0.9, n), log_revenue)
    revenue_last = np.exp(log_revenue)

    listed = (large & (rng.random(n) < 0.6)) | ((revenue_last > 2e9) & (rng.random(n) < 0.25)) | (rng.random(n) < 0.002)
    listed_year = np.minimum(founded_year + rng.integers(3, 15, n), last_year)
    listed_on = _days(listed_year, rng.integers(0, 365, n))
    joint_stock = listed | (rng.random(n) < 0.12)
    vc_backed = high_flyer | (rng.random(n) < 0.10)

    sector = rng.choice(len(SECTORS), size=n, p=SECTOR_P)
    software = np.array([c == "software_information_services" for c in ctx.cluster_codes])[cluster]
    sector = np.where(software & (rng.random(n) < 0.8), 1, sector)

    segment_pick = rng.random(n)
    segment = np.empty(n, dtype=np.int64)
    main_product = np.empty(n, dtype=object)
    for c in np.unique(cluster):
        rows = np.flatnonzero(cluster == c)
        pick = (segment_pick[rows] * len(ctx.segment_ids[c])).astype(np.int64)
        segment[rows] = ctx.segment_ids[c][pick] if len(ctx.segment_ids[c]) else -1
        main_product[rows] = ctx.segment_names[c][pick] if len(ctx.segment_ids[c]) else ""

    usccs = demo_usccs(ctx.region_codes[region], serials, rng.integers(0, 31, n))
    names = ctx.names.names(ctx.city_names[region], first, second, phrase, joint_stock)
    unknown_vc = rng.random(n) < 0.15
    enterprises = Table(
        {
            "uscc": Column("text", np.char.decode(usccs, "ascii").astype(object)),
            "name": Column("text", np.array(names, dtype=object)),
            "region_id": Column("int", ctx.region_ids[region]),
            "founded_on": Column("date", founded_on),
            "listed": Column("bool", listed),
            "listed_on": Column("date", listed_on, null=~listed),
            "sector": Column("choice", sector, labels=tuple(SECTORS)),
            "niche_since": Column("int", niche_since, null=rng.random(n) < 0.08),
            "main_product": Column("text", main_product),
            "product_code": Column("text", np.full(n, "", dtype=object)),
            "uscc_check_override": Column("text", np.full(n, "", dtype=object)),
            "vc_backed": Column("bool", vc_backed, null=unknown_vc & ~high_flyer),
            "group_has_little_giant": Column("bool", rng.random(n) < 0.02, null=rng.random(n) < 0.5),
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

    metrics = _metrics(ctx, rng, n, founded_year, revenue_last, high_flyer, large, vc_backed)
    designations = _designations(ctx, rng, metrics, cluster, n)
    return DemoBatch(enterprises, memberships, metrics, designations)


def _metrics(ctx, rng, n, founded_year, revenue_last, high_flyer, large, vc_backed) -> Table:
    years = ctx.years
    n_years = years.size
    # Growth: a firm-level trend plus AR(1) shocks, so good and bad years cluster.
    trend = rng.normal(0.08, 0.10, n) + np.where(high_flyer, 0.35, 0.0)
    shocks = np.empty((n, n_years))
    shocks[:, 0] = rng.normal(0, 0.12, n)
    for t in range(1, n_years):
        shocks[:, t] = 0.5 * shocks[:, t - 1] + rng.normal(0, 0.10, n)
    growth = np.clip(trend[:, None] + shocks, -0.6, 2.5)
    revenue = np.empty((n, n_years))
    revenue[:, -1] = revenue_last
    for t in range(n_years - 1, 0, -1):
        revenue[:, t - 1] = revenue[:, t] / (1 + growth[:, t])
    revenue = np.maximum(revenue, 1e5)

    def per_year(values):
        return np.broadcast_to(values[:, None], (n, n_years))

    main_share = per_year(rng.beta(9, 1.6, n)) * np.clip(rng.normal(1, 0.02, (n, n_years)), 0.9, 1.0)
    rd_ratio = np.clip(per_year(rng.lognormal(np.log(0.035), 0.5, n)) * rng.lognormal(0, 0.15, (n, n_years)), 0, 0.5)
    margin = per_year(rng.normal(0.06, 0.07, n)) + rng.normal(0, 0.03, (n, n_years))
    assets = revenue * per_year(rng.lognormal(np.log(1.1), 0.4, n))
    debt_ratio = np.clip(per_year(0.2 + 0.7 * rng.beta(2.2, 2.5, n)) + rng.normal(0, 0.03, (n, n_years)), 0.05, 0.98)
    productivity = per_year(rng.lognormal(np.log(9e5), 0.5, n))
    employees = np.maximum(np.round(revenue / productivity), 3)
    rd_staff = np.floor(employees * per_year(rng.beta(2, 9, n)))
    financed = per_year(vc_backed) & (rng.random((n, n_years)) < 0.3)
    equity = np.where(financed, rng.lognormal(np.log(3e7), 1.0, (n, n_years)), 0.0)
    ip_rate = per_year(np.clip(revenue_last * 0.035 / 4e6, 0.2, 60))
    ip_growth = 0.7 + 0.1 * np.arange(n_years)[None, :]
    ip1 = rng.poisson(ip_rate * ip_growth)
    ip1_self = rng.binomial(ip1, 0.85)
    ip1_high = rng.binomial(ip1, 0.3)
    ip2 = rng.poisson(ip_rate * ip_growth * 3)
    niche_share = np.clip(per_year(rng.beta(1.1, 25, n)) * rng.lognormal(0, 0.1, (n, n_years)), 0, 1)
    niche_rank = np.maximum(1, np.round(0.25 / np.maximum(niche_share, 1e-4))).astype(np.int64)
    big_and_leading = per_year((revenue_last > 5e8) & (rng.random(n) < 0.15))
    global_rank = rng.integers(1, 21, (n, n_years))
    valuation = per_year(rng.lognormal(np.log(4e8), 1.0, n)) * (1.3 ** (np.arange(n_years) - n_years + 1))
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

    st_award = rng.choice(3, size=(n, n_years), p=[0.94, 0.05, 0.01])
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
        "rd_institution_level": _choice(rng, RD_INSTITUTION_LEVELS, [0.45, 0.15, 0.2, 0.15, 0.05], (n, n_years)),
        "platform_score": Column(
            "score",
            np.round(np.clip(rng.normal(65, 12, (n, n_years)), 0, 100) * 10),
            null=np.broadcast_to(years[None, :] < years[-1], (n, n_years)),  # the platform is new
        ),
        "local_suppliers": Column("int", suppliers, null=~big),
        "local_procurement_ratio": Column("ratio", np.round(rng.beta(3, 4, (n, n_years)) * 10_000), null=~big),
        "high_tech_certified": Column("bool", flag(0.35)),
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

    # Whole years missing for some firms; no rows before the founding year.
    dropped = np.zeros((n, n_years), dtype=bool)
    gap_firms = rng.random(n) < 0.06
    dropped[np.flatnonzero(gap_firms), rng.integers(0, n_years, int(gap_firms.sum()))] = True
    keep = first_year & ~dropped
    owner, year_index = np.nonzero(keep)
    for column in columns.values():
        column.values = np.ascontiguousarray(column.values)[owner, year_index]
        column.null = np.ascontiguousarray(column.null)[owner, year_index]
    columns = {"fiscal_year": Column("int", years[year_index]), **columns}
    return Table(columns, owner=owner)


def _designations(ctx: DemoContext, rng, metrics: Table, cluster: np.ndarray, n: int) -> Table:
    """Quality-SME designations for plausible firms (judged on their latest year) and chain leaders."""
    cols = metrics.columns
    latest = cols["fiscal_year"].values == ctx.years[-1]
    owner = metrics.owner[latest]

    def value(name, default):
        column = cols[name]
        return np.where(column.null[latest], default, column.values[latest])

    revenue = value("revenue", 0.0)
    rd = value("rd_expense", 0.0)
    employees = value("employees", 0)
    rd_ratio = np.divide(rd, revenue, out=np.zeros_like(revenue), where=revenue > 0)
    sme = (employees < 1000) & (revenue < 4e8)
    draw = rng.random(owner.size)
    tier = np.full(owner.size, "", dtype=object)
    tier[sme & (rd_ratio >= 0.03) & (draw < 0.30)] = "innovative_sme"
    tier[sme & (rd_ratio >= 0.03) & (revenue >= 1e7) & (draw < 0.12)] = "specialized_sme"
    tier[sme & (rd_ratio >= 0.03) & (revenue >= 1e8) & (draw < 0.03)] = "little_giant"
    chosen = tier != ""
    d_owner, d_tier = owner[chosen], tier[chosen]

    m = d_owner.size
    last = int(ctx.years[-1])
    year = rng.integers(last - 4, last + 1, m)
    batch_no = rng.integers(1, 3, m)
    recognized_on = _days(year, np.where(batch_no == 1, 150, 300) + rng.integers(0, 30, m))
    validity = np.array([ctx.tier_validity.get(t) or 3 for t in d_tier])
    valid_until = recognized_on + (validity * 365).astype("timedelta64[D]")
    reference = np.datetime64(ctx.reference_date, "D")
    status = np.where(
        valid_until < reference, "expired", np.where(valid_until < reference + 180, "review_due", "active")
    ).astype(object)
    document_no = np.where(
        d_tier == "little_giant",
        "工信厅企业函〔"
        + year.astype(str).astype(object)
        + "〕"
        + rng.integers(100, 400, m).astype(str).astype(object)
        + "号",
        "苏工信中小〔"
        + year.astype(str).astype(object)
        + "〕"
        + rng.integers(10, 300, m).astype(str).astype(object)
        + "号",
    ).astype(object)
    batch = year.astype(str).astype(object) + "年第" + np.where(batch_no == 1, "一", "二").astype(object) + "批"
    cluster_pos = np.full(m, -1)

    # Chain leaders: the largest firm of each cluster in the batch, if it has tens of billions.
    leaders = []
    for c in np.unique(cluster[owner]):
        rows = np.flatnonzero(cluster[owner] == c)
        best = rows[np.argmax(revenue[rows])]
        if revenue[best] >= 1e10:
            leaders.append((owner[best], c))
    if leaders:
        k = len(leaders)
        lead_owner = np.array([o for o, _ in leaders])
        lead_year = rng.integers(last - 2, last + 1, k)
        d_owner = np.concatenate([d_owner, lead_owner])
        d_tier = np.concatenate([d_tier, np.full(k, "chain_leader", dtype=object)])
        recognized_on = np.concatenate([recognized_on, _days(lead_year, rng.integers(150, 330, k))])
        valid_until = np.concatenate([valid_until, np.full(k, np.datetime64("NaT"), dtype="datetime64[D]")])
        status = np.concatenate([status, np.full(k, "active", dtype=object)])
        document_no = np.concatenate(
            [document_no, ("苏工信产业〔" + lead_year.astype(str).astype(object) + "〕" + "86号").astype(object)]
        )
        batch = np.concatenate([batch, (lead_year.astype(str).astype(object) + "年").astype(object)])
        cluster_pos = np.concatenate([cluster_pos, np.array([c for _, c in leaders])])
    return Table(
        {
            "tier_id": Column("text", d_tier),
            "cluster_id": Column(
                "int", np.where(cluster_pos >= 0, ctx.cluster_ids[cluster_pos], 0), null=cluster_pos < 0
            ),
            "batch": Column("text", batch),
            "document_no": Column("text", document_no),
            "recognized_on": Column("date", recognized_on),
            "valid_until": Column("date", valid_until, null=np.isnat(valid_until)),
            "status": Column("text", status),
            "note": Column("text", np.full(d_owner.size, "", dtype=object)),
        },
        owner=d_owner,
    )
