"""Synthetic data for the benchmark and tests: random facts and a representative set of 8 rulesets.

The rulesets follow the shape of the published criteria (criteria.md) closely enough to exercise
every node kind at realistic sizes; they are not the shipped rulesets (fixtures/rulesets/*.yaml).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .facts import FactTable
from .fields import ATTRIBUTE_FIELDS, METRIC_FIELDS, SECTORS
from .ruleset import Ruleset

SIZE_STANDARDS = {sector: {"max_employees": 1000, "max_revenue": 400_000_000,
                           "reference": "工信部联企业〔2011〕300号 (synthetic: industry limits for all)"}
                  for sector in SECTORS}


def random_facts(n: int, *, fiscal_year: int = 2025, years: int = 5, seed: int = 0,
                 missing_rate: float = 0.03) -> FactTable:
    """N enterprises with every base fact for ``years`` fiscal years ending at ``fiscal_year``."""
    rng = np.random.default_rng(seed)

    def holes(arr):
        if missing_rate:
            arr[rng.random(n) < missing_rate] = np.nan
        return arr

    attributes = {
        "founded_on": holes(rng.integers(0, 56 * 365, n).astype(np.float64) - 10 * 365 + 0.0),
        "listed": holes((rng.random(n) < 0.05).astype(np.float64)),
        "listed_on": holes(rng.integers(30 * 365, 56 * 365, n).astype(np.float64)),
        "sector": holes(rng.integers(0, len(SECTORS), n).astype(np.float64)),
        "niche_since": holes(rng.integers(1990, fiscal_year + 1, n).astype(np.float64)),
        "vc_backed": holes((rng.random(n) < 0.2).astype(np.float64)),
        "group_has_little_giant": holes((rng.random(n) < 0.02).astype(np.float64)),
        "cluster_group": holes(rng.integers(0, 3, n).astype(np.float64)),
        "revenue_rank_in_cluster": holes(rng.integers(1, 500, n).astype(np.float64)),
    }
    assert set(attributes) == set(ATTRIBUTE_FIELDS)
    base_revenue = np.exp(rng.normal(17.0, 1.6, n))  # median ≈ 2400万
    growth = rng.normal(0.08, 0.15, n)
    metrics: dict[str, dict[int, np.ndarray]] = {name: {} for name in METRIC_FIELDS}
    for k in range(years):
        year = fiscal_year - (years - 1) + k
        revenue = base_revenue * (1 + growth) ** k * np.exp(rng.normal(0, 0.05, n))
        employees = np.maximum(1, np.round(revenue / np.exp(rng.normal(13.5, 0.5, n))))
        assets = revenue * np.exp(rng.normal(0.2, 0.4, n))
        cols = {
            "revenue": revenue,
            "main_business_revenue": revenue * rng.uniform(0.4, 1.0, n),
            "rd_expense": revenue * np.clip(rng.normal(0.04, 0.03, n), 0, None),
            "net_profit": revenue * rng.normal(0.05, 0.06, n),
            "total_assets": assets,
            "total_liabilities": assets * rng.uniform(0.1, 0.95, n),
            "equity_financing": np.where(rng.random(n) < 0.1, np.exp(rng.normal(16, 1.5, n)), 0.0),
            "employees": employees,
            "rd_staff": np.round(employees * rng.uniform(0, 0.6, n)),
            "ip_class1": rng.poisson(2, n).astype(np.float64),
            "ip_class1_self_developed": rng.poisson(1, n).astype(np.float64),
            "ip_class1_high_value": rng.poisson(0.3, n).astype(np.float64),
            "ip_class2": rng.poisson(4, n).astype(np.float64),
            "niche_market_share": rng.beta(1, 12, n),
            "niche_market_rank_cn": rng.integers(1, 100, n).astype(np.float64),
            "global_market_rank": rng.integers(1, 200, n).astype(np.float64),
            "valuation_usd": np.exp(rng.normal(18, 1.5, n)),
            "cumulative_financing_usd": np.exp(rng.normal(15, 1.5, n)),
            "digital_level": rng.integers(0, 5, n).astype(np.float64),
            "rd_institution_level": rng.integers(0, 5, n).astype(np.float64),
            "platform_score": rng.uniform(20, 90, n),
            "local_suppliers": rng.poisson(20, n).astype(np.float64),
            "local_procurement_ratio": rng.uniform(0, 0.6, n),
            "st_award_level": rng.choice(3, n, p=[0.9, 0.08, 0.02]).astype(np.float64),
            "st_award_rank": rng.integers(1, 10, n).astype(np.float64),
            "chuangke_rank": rng.choice(3, n, p=[0.95, 0.04, 0.01]).astype(np.float64),
        }
        for name in ("high_tech_certified", "qms_certified", "quality_award", "own_brand",
                     "standards_drafting", "sei_field", "key_chain_link", "six_foundations",
                     "compliance_ok", "market_position_leading"):
            cols[name] = (rng.random(n) < 0.5).astype(np.float64)
        for name, arr in cols.items():
            metrics[name][year] = holes(arr)
    designations = {"innovative_sme": rng.random(n) < 0.2, "specialized_sme": rng.random(n) < 0.05}
    return FactTable(n, attributes, metrics, designations)


# -- the synthetic rulesets -------------------------------------------------------------------------

def _lbl(text):
    return {"zh": text, "en": text}


def t(node_id, variable, op, threshold=None):
    node = {"id": node_id, "kind": "test", "label": _lbl(node_id), "variable": variable, "op": op}
    if threshold is not None:
        node["threshold"] = threshold
    return node


def group(kind, node_id, *children):
    return {"id": node_id, "kind": kind, "label": _lbl(node_id), "children": list(children)}


def bands(ind_id, dimension, variable, spec, otherwise=0, op="gte"):
    return {"id": ind_id, "kind": "bands", "label": _lbl(ind_id), "dimension": dimension,
            "variable": variable, "max_points": spec[0][1], "otherwise": otherwise,
            "bands": [{"op": op, "threshold": th, "points": p} for th, p in spec]}


def _innovative():
    score = {"id": "score", "kind": "score", "label": _lbl("score"), "min_total": 60,
             "dimensions": [{"id": d, "label": _lbl(d), "min": m}
                            for d, m in (("innovation", 20), ("growth", 15), ("specialisation", 15))],
             "indicators": [
                 {"id": "ip", "kind": "max", "label": _lbl("ip"), "dimension": "innovation", "max_points": 20,
                  "items": [bands("ip_hv", None, "ip_class1_high_value", [(1, 20)]),
                            bands("ip_self", None, "ip_class1_self_developed", [(1, 15)]),
                            bands("ip_c1", None, "ip_class1", [(1, 10)]),
                            bands("ip_c2", None, "ip_class2", [(1, 5)])]},
                 bands("rd", "innovation", "rd_ratio", [(0.05, 20), (0.03, 15), (0.02, 10), (0.01, 5)]),
                 bands("mb_growth", "growth", "main_business_growth",
                       [(0.15, 20), (0.10, 15), (0.05, 10), (0.0, 5)]),
                 bands("debt", "growth", "debt_ratio", [(0.55, 10), (0.75, 5)], op="lte"),
                 {"id": "sei", "kind": "bands", "label": _lbl("sei"), "dimension": "specialisation",
                  "variable": "sei_field", "max_points": 10, "otherwise": 5,
                  "bands": [{"op": "is_true", "points": 10}]},
                 bands("mb_share", "specialisation", "main_business_share",
                       [(0.7, 20), (0.6, 15), (0.55, 10), (0.5, 5)]),
             ]}
    for ind in score["indicators"]:
        for sub in ind.get("items", ()):
            sub.pop("dimension")
    direct = group("any", "direct",
                   t("d_award", "st_award_level_3y", "gte", "provincial"),
                   t("d_hightech", "high_tech_certified", "is_true"),
                   t("d_rd_inst", "rd_institution_level", "gte", "provincial"),
                   t("d_equity", "equity_financing_3y", "gte", 5_000_000))
    return group("all", "root", t("sme", "is_sme", "is_true"), t("compliance", "compliance_ok", "is_true"),
                 group("any", "pass", score, direct))


def _specialized():
    q_items = [{"id": f"q_{v}", "label": _lbl(v), "variable": v, "op": "is_true", "points": 3}
               for v in ("quality_award", "qms_certified", "own_brand", "standards_drafting")]
    score = {"id": "score", "kind": "score", "label": _lbl("score"), "min_total": 60,
             "dimensions": [{"id": d, "label": _lbl(d), "min": 0}
                            for d in ("specialisation", "refinement", "distinctive", "innovation")],
             "indicators": [
                 bands("mb_share", "specialisation", "main_business_share", [(0.8, 5), (0.7, 3), (0.6, 1)]),
                 bands("mb_growth", "specialisation", "main_business_growth_avg_2y",
                       [(0.10, 10), (0.08, 8), (0.06, 6), (0.04, 4), (0.0, 2)]),
                 bands("niche_years", "specialisation", "years_in_niche", [(10, 5), (8, 4), (6, 3), (4, 2), (2, 1)]),
                 {"id": "field", "kind": "sum", "label": _lbl("field"), "dimension": "specialisation",
                  "cap": 5, "items": [{"id": "f_key", "label": _lbl("k"), "variable": "key_chain_link",
                                       "op": "is_true", "points": 5},
                                      {"id": "f_six", "label": _lbl("s"), "variable": "six_foundations",
                                       "op": "is_true", "points": 3}]},
                 bands("digital", "refinement", "digital_level", [(3, 5), (2, 3)]),
                 {"id": "quality", "kind": "sum", "label": _lbl("quality"), "dimension": "refinement",
                  "cap": 5, "items": q_items},
                 bands("margin", "refinement", "net_margin",
                       [(0.10, 10), (0.08, 8), (0.06, 6), (0.04, 4), (0.02, 2)]),
                 bands("debt", "refinement", "debt_ratio", [(0.5, 5), (0.6, 3), (0.7, 1)], op="lte"),
                 {"id": "local", "kind": "sum", "label": _lbl("local"), "dimension": "distinctive",
                  "cap": 15, "items": []},
                 {"id": "ip", "kind": "max", "label": _lbl("ip"), "dimension": "innovation", "max_points": 10,
                  "items": [{**bands("ip_hv", None, "ip_class1_high_value", [(1, 10)])},
                            {**bands("ip_self", None, "ip_class1_self_developed", [(1, 8)])},
                            {**bands("ip_c1", None, "ip_class1", [(1, 6)])},
                            {**bands("ip_c2", None, "ip_class2", [(1, 2)])}]},
                 {"id": "rd", "kind": "max", "label": _lbl("rd"), "dimension": "innovation", "max_points": 10,
                  "items": [bands("rd_total", None, "rd_expense",
                                  [(5e6, 10), (4e6, 8), (3e6, 6), (2e6, 4), (1e6, 2)]),
                            bands("rd_share", None, "rd_ratio",
                                  [(0.10, 10), (0.08, 8), (0.06, 6), (0.04, 4), (0.03, 2)])]},
                 bands("rd_staff", "innovation", "rd_staff_ratio", [(0.2, 5), (0.1, 3), (0.05, 1)]),
                 {"id": "rd_inst", "kind": "bands", "label": _lbl("rd_inst"), "dimension": "innovation",
                  "variable": "rd_institution_level", "max_points": 10,
                  "bands": [{"op": "gte", "threshold": lvl, "points": p}
                            for lvl, p in (("national", 10), ("provincial", 8), ("city", 4), ("below_city", 2))]},
             ]}
    for ind in score["indicators"]:
        for sub in ind.get("items", ()):
            sub.pop("dimension", None)
    direct = group("any", "direct",
                   t("d_prov_top3", "provincial_award_best_rank_3y", "lte", 3),
                   t("d_nat_top5", "national_award_best_rank_3y", "lte", 5),
                   t("d_rd_avg", "rd_expense_avg_2y", "gte", 10_000_000),
                   t("d_equity", "equity_financing_2y", "gte", 60_000_000),
                   t("d_chuangke", "chuangke_rank_3y", "gte", "top500"))
    return group("all", "root",
                 t("sme", "is_sme", "is_true"), t("compliance", "compliance_ok", "is_true"),
                 t("niche", "years_in_niche", "gte", 2), t("rd_expense", "rd_expense", "gte", 1_000_000),
                 t("rd_ratio", "rd_ratio", "gte", 0.03),
                 group("any", "scale", t("revenue", "revenue", "gte", 10_000_000),
                       t("equity", "equity_financing_2y", "gte", 20_000_000)),
                 group("any", "pass", score, direct))


def _little_giant():
    general = group("all", "general",
                    group("any", "rd_by_size",
                          group("all", "large", t("rev_1e8", "revenue", "gte", 1e8),
                                t("rd3_2y", "rd_ratio_min_2y", "gte", 0.03)),
                          group("all", "mid", t("rev_mid", "revenue", "between", [5e7, 1e8]),
                                t("rd6_2y", "rd_ratio_min_2y", "gte", 0.06)),
                          group("all", "small", t("rev_small", "revenue", "lt", 5e7),
                                t("eq_8000", "equity_financing_2y", "gte", 8e7),
                                t("rd_3000", "rd_expense_sum_2y", "gte", 3e7),
                                t("rd_staff_50", "rd_staff_ratio", "gte", 0.5))),
                    t("rd_inst", "rd_institution_level", "gte", "below_city"),
                    t("ip2", "ip_class1", "gte", 2))
    direct = group("any", "direct", t("nat_top3", "national_award_best_rank_3y", "lte", 3),
                   t("chuangke50", "chuangke_rank_3y", "eq", "top50"))
    return group("all", "root",
                 {"id": "prereq", "kind": "tier", "label": _lbl("prereq"), "tier": "specialized_sme",
                  "require": "either"},
                 t("sme", "is_sme", "is_true"), t("compliance", "compliance_ok", "is_true"),
                 t("niche3", "years_in_niche", "gte", 3), t("mb70", "main_business_share", "gte", 0.7),
                 t("growth5", "main_business_growth_avg_2y", "gte", 0.05), t("debt70", "debt_ratio", "lte", 0.7),
                 t("certified", "qms_certified", "is_true"), t("share10", "niche_market_share", "gte", 0.1),
                 t("brand", "own_brand", "is_true"), group("any", "innovation", general, direct),
                 t("chain", "key_chain_link", "is_true"),
                 group("any", "field", t("six", "six_foundations", "is_true"), t("sei", "sei_field", "is_true")))


def _single_champion():
    return group("all", "root", t("years10", "years_in_niche", "gte", 10),
                 t("rank3", "global_market_rank", "lte", 3),
                 group("any", "revenue", t("avg4e8", "main_business_revenue_avg_3y", "gte", 4e8),
                       group("all", "relaxed", t("avg2e8", "main_business_revenue_avg_3y", "gte", 2e8),
                             {"id": "srdi", "kind": "tier", "label": _lbl("srdi"), "tier": "little_giant",
                              "require": "either"})),
                 t("rd", "rd_ratio", "gte", 0.03), t("compliance", "compliance_ok", "is_true"),
                 t("leading", "market_position_leading", "is_true"), t("brand", "own_brand", "is_true"))


def _gazelle():
    return group("all", "root", t("base", "revenue_4y_ago", "gte", 1e7), t("cagr", "revenue_cagr_4y", "gt", 0.2),
                 t("positive", "revenue_growth", "gt", 0), t("hightech", "high_tech_certified", "is_true"),
                 t("compliance", "compliance_ok", "is_true"),
                 {"id": "not_unicorn", "kind": "not", "label": _lbl("n"),
                  "child": {"id": "is_unicorn", "kind": "tier", "label": _lbl("u"), "tier": "unicorn",
                            "require": "eligible"}})


def _potential_unicorn():
    return group("all", "root", t("not_listed", "listed", "is_false"), t("vc", "vc_backed", "is_true"),
                 t("age9", "company_age", "lte", 9),
                 group("any", "stage",
                       group("all", "young", t("age5", "company_age", "lte", 5),
                             t("val1e8", "valuation_usd", "gte", 1e8),
                             t("fin5e6", "cumulative_financing_usd", "gte", 5e6)),
                       group("all", "older", t("age5_9", "company_age", "between", [5, 9]),
                             t("val5e8", "valuation_usd", "gte", 5e8),
                             t("fin25e6", "cumulative_financing_usd", "gte", 2.5e7))),
                 {"id": "not_unicorn", "kind": "not", "label": _lbl("n"),
                  "child": {"id": "is_unicorn", "kind": "tier", "label": _lbl("u"), "tier": "unicorn",
                            "require": "eligible"}})


def _unicorn():
    return group("all", "root", t("age10", "company_age", "lte", 10), t("not_listed", "listed", "is_false"),
                 t("vc", "vc_backed", "is_true"), t("val1e9", "valuation_usd", "gte", 1e9),
                 t("fin5e7", "cumulative_financing_usd", "gte", 5e7))


def _chain_leader():
    return group("all", "root", t("group", "cluster_group", "in", ["international", "national_leading"]),
                 group("any", "scale", t("rev50", "revenue", "gte", 5e9),
                       group("all", "emerging", t("rev10", "revenue", "gte", 1e9),
                             t("rank3", "revenue_rank_in_cluster", "lte", 3))),
                 t("suppliers", "local_suppliers", "gte", 50), t("local", "local_procurement_ratio", "gte", 0.3),
                 t("rd", "rd_ratio", "gte", 0.03), t("platform", "rd_institution_level", "gte", "provincial"),
                 t("compliance", "compliance_ok", "is_true"))


SYNTHETIC_DEFINITIONS = {
    "innovative_sme": _innovative, "specialized_sme": _specialized, "little_giant": _little_giant,
    "single_champion": _single_champion, "gazelle": _gazelle, "potential_unicorn": _potential_unicorn,
    "unicorn": _unicorn, "chain_leader": _chain_leader,
}


def synthetic_rulesets() -> dict[str, Ruleset]:
    """Eight representative rulesets keyed by tier code."""
    return {tier: Ruleset(tier=tier, version="SYNTHETIC-1", effective_from=dt.date(2022, 1, 1),
                          definition=build()) for tier, build in SYNTHETIC_DEFINITIONS.items()}
