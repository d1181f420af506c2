"""The demo's tier pyramid: which enterprises hold which title, and how close their facts are to the bar.

Without strata, facts drawn independently per column almost never meet every condition of a tier at
once (the 2026 专精特新 standard alone has nine, and needs a held 创新型 title), so a report of the demo
would be empty. Each enterprise gets a *stage* (the highest quality-SME title it holds) and, for the
tier it holds or aims at next, a *target*: its facts meet the bar, miss it narrowly on one actionable
criterion (a near miss), leave a fact unknown (insufficient data), or fail it clearly (at risk, for a
title held). The targets only set the facts; whether a result is eligible is always the engine's
verdict on them.

Proportions. The demo population stands for the ~300,000 enterprises a provincial tracker would
follow (Jiangsu's industrial SMEs above a size floor and its science-and-technology SMEs). Against
that, per enterprise:
- 创新型 held ≈ 12% (stage ≥ 1): Jiangsu's cultivation pool held ~36,000 firms (省工信厅, reported
  2023-01, https://xiangzitao.vip/hyzs/5027.html);
- 专精特新 held ≈ 4% (stage ≥ 2): 12,258 provincial 专精特新 in 2024 (江苏省工信厅 via
  http://jsjxmhw.com/html/NewsView.asp?ID=13927&SortID=10);
- 小巨人 held ≈ 0.5% (stage 3): 1,474 national little giants, same source (~1,500 after the 5th
  batch, 中证网 2023-07-18);
- 单项冠军 candidates ≈ 0.06%: 186 national single-champion enterprises and products (same 2023-01
  report), half of the candidates holding the title.
Within a stage, the targets below give roughly: a fifth of 创新型 holders ready for 专精特新 (the next
batch's candidates), one in eight a near miss, one in twenty missing a fact; of 专精特新 holders three
in four still eligible at 复核, one in ten clearly at risk. Nanjing's "十百千万" target (30 champions,
300 little giants, 1,000 专精特新, 10,000 创新型; https://www.chacewang.com/newsdetail/news386979.html)
has the same shape: each rung roughly a tenth of the one below, 小巨人 about a tenth of 专精特新.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Stages: the highest quality-SME title held.
ORDINARY, INNOVATIVE, SPECIALIZED, LITTLE_GIANT = 0, 1, 2, 3
STAGE_P = [0.88, 0.08, 0.035, 0.005]
CHAMPION_P = 0.0006
# Targets for a tier: what the enterprise's facts aim at.
NONE, READY, NEAR, UNKNOWN, AT_RISK = 0, 1, 2, 3, 4
INNOVATIVE_AT_RISK_P = 0.10  # 创新型 holders whose facts no longer qualify
SPECIALIZED_TARGET_P = {  # per stage: NONE, READY, NEAR, UNKNOWN, AT_RISK
    INNOVATIVE: [0.63, 0.20, 0.12, 0.05, 0.0],
    SPECIALIZED: [0.0, 0.75, 0.08, 0.05, 0.12],
    LITTLE_GIANT: [0.0, 1.0, 0.0, 0.0, 0.0],
}
LITTLE_GIANT_TARGET_P = {
    SPECIALIZED: [0.75, 0.15, 0.10, 0.0, 0.0],
    LITTLE_GIANT: [0.0, 0.88, 0.0, 0.0, 0.12],
}


@dataclass
class Strata:
    stage: np.ndarray
    champion: np.ndarray
    innovative_ok: np.ndarray  # False: a 创新型 holder whose facts no longer qualify
    specialized: np.ndarray  # target for 专精特新
    little_giant: np.ndarray  # target for 小巨人

    @property
    def shaped(self) -> np.ndarray:
        """Enterprises whose recent facts are set to a tier's profile (complete, consistent years)."""
        return (self.specialized != NONE) | (self.little_giant != NONE) | self.champion

    @property
    def giant(self) -> np.ndarray:
        return self.little_giant != NONE


def _draw(rng, stage: np.ndarray, table: dict[int, list[float]]) -> np.ndarray:
    out = np.zeros(stage.size, dtype=np.int64)
    for s, p in table.items():
        rows = np.flatnonzero(stage == s)
        out[rows] = rng.choice(len(p), size=rows.size, p=p)
    return out


def assign(rng: np.random.Generator, n: int, large: np.ndarray, high_flyer: np.ndarray) -> Strata:
    stage = rng.choice(len(STAGE_P), size=n, p=STAGE_P)
    stage = np.where(large | high_flyer, ORDINARY, stage)  # groups and start-ups are not quality SMEs
    champion = (rng.random(n) < CHAMPION_P) & (stage == ORDINARY) & ~high_flyer
    innovative_ok = ~((stage == INNOVATIVE) & (rng.random(n) < INNOVATIVE_AT_RISK_P))
    specialized = _draw(rng, stage, SPECIALIZED_TARGET_P)
    specialized = np.where(innovative_ok, specialized, NONE)
    little_giant = _draw(rng, stage, LITTLE_GIANT_TARGET_P)
    little_giant = np.where((stage == SPECIALIZED) & (specialized != READY), NONE, little_giant)
    return Strata(stage, champion, innovative_ok, specialized, little_giant)


def shape_enterprises(strata: Strata, rng, *, last_year: int, founded_year, niche_since, revenue_last, sector):
    """Enterprise-level facts of the shaped: an industrial SME in its niche for years (in place)."""
    n = founded_year.size
    shaped = strata.shaped
    years_in = np.where(strata.champion, 11 + rng.geometric(0.2, n), 4 + rng.geometric(0.3, n))
    niche_since[shaped] = np.minimum(niche_since, last_year - years_in)[shaped]
    founded_year[shaped] = np.minimum(founded_year, niche_since - rng.integers(0, 4, n))[shaped]
    sector[shaped] = 0  # industry
    quality = strata.specialized != NONE
    revenue_last[quality] = np.clip(rng.lognormal(np.log(8e7), 0.6, n), 4e7, 3.5e8)[quality]
    revenue_last[strata.giant] = np.clip(rng.lognormal(np.log(2e8), 0.35, n), 1.3e8, 3.8e8)[strata.giant]
    revenue_last[strata.champion] = rng.uniform(6e8, 3e9, n)[strata.champion]


def growth(strata: Strata, rng, growth: np.ndarray) -> np.ndarray:
    """Steady growth for the shaped (the tiers ask for growth over 2 years)."""
    steady = rng.uniform(0.06, 0.2, growth.shape[0])[:, None] + rng.uniform(0, 0.03, growth.shape)
    return np.where(strata.shaped[:, None], steady, growth)


def _set(columns, name, rows, values, years=slice(-3, None)):
    """Known values for ``rows`` in the recent years (values broadcast to (rows, years))."""
    column = columns[name]
    block = column.values[rows, years]
    column.values[rows, years] = np.broadcast_to(values, block.shape) if np.ndim(values) else values
    column.null[rows, years] = False


def shape_metrics(strata: Strata, rng, columns: dict) -> None:
    """Set the recent years' metrics of the shaped to their tier profile, then apply each target's deviation.

    ``columns`` hold (enterprise, year) arrays; amounts follow the (already shaped) revenue path.
    """
    _unqualify_innovative(columns, np.flatnonzero(~strata.innovative_ok))
    rows = np.flatnonzero(strata.shaped)
    k = rows.size
    if not k:
        return
    revenue = columns["revenue"].values[rows, -3:]
    columns["revenue"].null[rows, -3:] = False

    def firm(low, high):
        return rng.uniform(low, high, k)[:, None]

    share = firm(0.92, 0.99)
    rd_ratio = np.where(strata.giant[rows, None], firm(0.055, 0.09), firm(0.04, 0.08))
    debt = firm(0.3, 0.6)
    assets = revenue * firm(0.9, 1.4)
    employees = np.clip(np.round(revenue / firm(6e5, 1.2e6)), 20, 900)
    width = revenue.shape[1]
    ip1 = np.where(strata.giant[rows], 6, 1)[:, None] + rng.poisson(5, (k, 1)) + np.arange(width)[None, :]
    _set(columns, "main_business_revenue", rows, np.floor(revenue * share))
    _set(columns, "rd_expense", rows, np.round(revenue * rd_ratio))
    _set(columns, "net_profit", rows, np.round(revenue * firm(0.05, 0.15)))
    _set(columns, "total_assets", rows, np.round(assets))
    _set(columns, "total_liabilities", rows, np.round(assets * debt))
    _set(columns, "employees", rows, employees)
    _set(columns, "rd_staff", rows, np.floor(employees * firm(0.12, 0.3)))
    _set(columns, "ip_class1", rows, ip1)
    _set(columns, "ip_class1_self_developed", rows, ip1 - rng.binomial(1, 0.3, (k, 1)))
    _set(columns, "ip_class1_high_value", rows, rng.binomial(ip1, 0.3))
    _set(columns, "ip_class2", rows, rng.poisson(6, (k, width)))
    _set(columns, "niche_market_share", rows, np.round(firm(0.03, 0.2) * 10_000))
    _set(columns, "digital_level", rows, rng.integers(2, 5, (k, width)))
    _set(columns, "rd_institution_level", rows, rng.integers(2, 5, (k, width)))  # city and above
    _set(columns, "platform_score", rows, np.round(firm(55, 85) * 10), years=slice(-1, None))
    _set(columns, "distinctiveness_points", rows, np.round(firm(6, 15) * 10))
    for flag in (
        "compliance_ok",
        "high_tech_certified",
        "qms_certified",
        "own_brand",
        "sei_field",
        "market_position_leading",
    ):
        _set(columns, flag, rows, True)
    _shape_giants(strata, rng, columns)
    _shape_champions(strata, rng, columns)
    _deviate_specialized(strata, rng, columns)
    _deviate_little_giant(strata, rng, columns)


def _unqualify_innovative(columns, rows) -> None:
    """A 创新型 holder whose facts slipped: no direct condition, a weak score."""
    revenue = columns["revenue"].values[rows, -3:]
    _set(columns, "high_tech_certified", rows, False)
    _set(columns, "rd_institution_level", rows, 0)
    _set(columns, "st_award_level", rows, 0)
    columns["st_award_rank"].null[rows, -3:] = True
    _set(columns, "equity_financing", rows, 0)
    _set(columns, "rd_expense", rows, np.round(revenue * 0.004))
    _set(columns, "main_business_revenue", rows, np.floor(revenue * 0.45))


def _shape_giants(strata: Strata, rng, columns) -> None:
    rows = np.flatnonzero(strata.giant)
    k = rows.size
    _set(columns, "niche_market_share", rows, np.round(rng.uniform(0.1, 0.3, (k, 1)) * 10_000))
    _set(columns, "niche_market_rank_cn", rows, rng.integers(1, 4, (k, 1)))
    _set(columns, "platform_score", rows, np.round(rng.uniform(65, 90, (k, 1)) * 10), years=slice(-1, None))
    for flag in ("six_foundations", "key_chain_link"):
        _set(columns, flag, rows, True)


def _shape_champions(strata: Strata, rng, columns) -> None:
    rows = np.flatnonzero(strata.champion)
    _set(columns, "global_market_rank", rows, rng.integers(1, 4, (rows.size, 1)))
    _set(columns, "compliance_ok", rows, True)


def _deviate_specialized(strata: Strata, rng, columns) -> None:
    """Near miss: one actionable criterion 3–15% short in the last year; unknown: the attested market
    position not yet assessed; at risk: R&D well below the bar for two years."""
    near = np.flatnonzero(strata.specialized == NEAR)
    revenue = columns["revenue"].values
    which = rng.integers(0, 3, near.size)
    rd, share, score = near[which == 0], near[which == 1], near[which == 2]
    _set(columns, "rd_expense", rd, np.round(revenue[rd, -1] * rng.uniform(0.026, 0.029, rd.size)), years=-1)
    _set(
        columns,
        "main_business_revenue",
        share,
        np.floor(revenue[share, -1] * rng.uniform(0.70, 0.77, share.size)),
        years=-1,
    )
    _set(columns, "platform_score", score, np.round(rng.uniform(43, 48.5, score.size) * 10), years=-1)
    unknown = np.flatnonzero(strata.specialized == UNKNOWN)
    columns["market_position_leading"].null[unknown, -1] = True
    risk = np.flatnonzero(strata.specialized == AT_RISK)
    _set(
        columns,
        "rd_expense",
        risk,
        np.round(revenue[risk, -2:] * rng.uniform(0.008, 0.018, (risk.size, 1))),
        years=slice(-2, None),
    )


def _deviate_little_giant(strata: Strata, rng, columns) -> None:
    """Near miss: the platform score or the main-business share just under the 小巨人 bar (still above
    专精特新's); at risk: debt above the 小巨人 ceiling."""
    near = np.flatnonzero(strata.little_giant == NEAR)
    revenue = columns["revenue"].values
    which = rng.integers(0, 2, near.size)
    score, share = near[which == 0], near[which == 1]
    _set(columns, "platform_score", score, np.round(rng.uniform(54, 59.5, score.size) * 10), years=-1)
    _set(
        columns,
        "main_business_revenue",
        share,
        np.floor(revenue[share, -1] * rng.uniform(0.85, 0.89, share.size)),
        years=-1,
    )
    risk = np.flatnonzero(strata.little_giant == AT_RISK)
    assets = columns["total_assets"].values
    _set(columns, "total_liabilities", risk, np.round(assets[risk, -1] * rng.uniform(0.76, 0.79, risk.size)), years=-1)
