"""Base facts: the enterprise attributes and annual metrics the engine reads.

Field names are an API contract shared with the models, the REST API and the rulesets; do not rename.
Every base fact is also a variable of the same name (see ``variables.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Variable kinds. ``date`` is an extension of the documented set (docs/rules-format.md).
NUMERIC_KINDS = frozenset({"money", "money_usd", "ratio", "count", "number", "year", "date"})
KINDS = NUMERIC_KINDS | {"bool", "ordinal", "category"}

#: Sectors of the SME size standard (工信部联企业〔2011〕300号 第四条), code → (zh, en) label. This is the
#: one list of sectors: the Enterprise model takes its choices from it, the API its enum, and the size
#: standards (fixtures/size_standards.yaml) are keyed by it. Facts encode a sector as its position here,
#: so append new sectors at the end. The thresholds themselves are parameters, not code.
SECTOR_LABELS: dict[str, tuple[str, str]] = {
    "agriculture": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "industry": ("工业", "Industry"),
    "construction": ("建筑业", "Construction"),
    "wholesale": ("批发业", "Wholesale"),
    "retail": ("零售业", "Retail"),
    "transport": ("交通运输业", "Transport"),
    "warehousing": ("仓储业", "Warehousing"),
    "postal": ("邮政业", "Postal services"),
    "accommodation": ("住宿业", "Accommodation"),
    "catering": ("餐饮业", "Catering"),
    "information_transmission": ("信息传输业", "Information transmission"),
    "software_it": ("软件和信息技术服务业", "Software and IT services"),
    "real_estate_development": ("房地产开发经营", "Real-estate development"),
    "property_management": ("物业管理", "Property management"),
    "leasing_business": ("租赁和商务服务业", "Leasing and business services"),
    "other": ("其他未列明行业", "Other sectors not listed"),
}
SECTORS = tuple(SECTOR_LABELS)

RD_INSTITUTION_LEVELS = ("none", "below_city", "city", "provincial", "national")
AWARD_LEVELS = ("none", "provincial", "national")
CHUANGKE_RANKS = ("none", "top500", "top50")
CLUSTER_GROUPS = ("international", "national_leading", "future")


@dataclass(frozen=True)
class FactField:
    """One base fact: an enterprise attribute or an annual metric.

    ``actionable`` is False for facts no enterprise can change by what it does (its founding date,
    listing, sector, a past compliance record): gaps never offer them as a move.
    """

    name: str
    kind: str
    label_zh: str
    label_en: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    annual: bool = False
    actionable: bool = True


def _a(name, kind, zh, en, unit="", choices=(), actionable=True):
    return FactField(name, kind, zh, en, unit, tuple(choices), annual=False, actionable=actionable)


def _m(name, kind, zh, en, unit="", choices=(), actionable=True):
    return FactField(name, kind, zh, en, unit, tuple(choices), annual=True, actionable=actionable)


_FIELDS = (
    # Enterprise attributes (one value per row).
    _a("founded_on", "date", "成立日期", "Date founded", actionable=False),
    _a("listed", "bool", "是否上市", "Listed", actionable=False),
    _a("listed_on", "date", "上市日期", "Date listed", actionable=False),
    _a("sector", "category", "行业(划型)", "Sector (size standard)", choices=SECTORS, actionable=False),
    _a("niche_since", "year", "进入细分市场年份", "Year entered the niche market", "year", actionable=False),
    _a("vc_backed", "bool", "获专业投资机构投资", "Backed by professional investors"),
    _a("group_has_little_giant", "bool", "集团内已有小巨人", "Group already has a little giant",
       actionable=False),
    # Per cluster membership (chain_leader rows are enterprise × cluster).
    _a("cluster_group", "category", "集群类别", "Cluster group", choices=CLUSTER_GROUPS, actionable=False),
    _a("revenue_rank_in_cluster", "count", "集群内营收排名", "Revenue rank in cluster", "rank"),
    # Annual metrics (per fiscal year; every one may be missing).
    _m("revenue", "money", "营业收入", "Operating revenue", "CNY"),
    _m("main_business_revenue", "money", "主营业务收入", "Main-business revenue", "CNY"),
    _m("rd_expense", "money", "研发费用", "R&D expense", "CNY"),
    _m("net_profit", "money", "净利润", "Net profit", "CNY"),
    _m("total_assets", "money", "资产总额", "Total assets", "CNY"),
    _m("total_liabilities", "money", "负债总额", "Total liabilities", "CNY"),
    _m("equity_financing", "money", "股权融资额", "New equity financing", "CNY"),
    _m("employees", "count", "从业人员", "Employees", "persons"),
    _m("rd_staff", "count", "研发人员", "R&D staff", "persons"),
    _m("ip_class1", "count", "Ⅰ类知识产权", "Class I IP", "items"),
    _m("ip_class1_self_developed", "count", "自主研发Ⅰ类知识产权", "Self-developed class I IP", "items"),
    _m("ip_class1_high_value", "count", "Ⅰ类高价值知识产权", "High-value class I IP", "items"),
    _m("ip_class2", "count", "Ⅱ类知识产权", "Class II IP", "items"),
    _m("niche_market_share", "ratio", "细分市场占有率", "Niche market share"),
    _m("niche_market_rank_cn", "count", "国内细分市场排名", "Domestic niche market rank", "rank"),
    _m("global_market_rank", "count", "全球市场占有率排名", "Global market-share rank", "rank"),
    _m("valuation_usd", "money_usd", "最新估值", "Latest valuation", "USD"),
    _m("cumulative_financing_usd", "money_usd", "累计融资额", "Cumulative financing", "USD"),
    _m("digital_level", "number", "数字化水平等级", "Digitalisation level", "level"),
    _m("rd_institution_level", "ordinal", "研发机构级别", "R&D institution level",
       choices=RD_INSTITUTION_LEVELS),
    _m("platform_score", "number", "专精特新发展评价得分", "SRDI platform score", "points"),
    _m("distinctiveness_points", "number", "特色化指标得分（省定，经核实）",
       "Provincial distinctiveness points (attested)", "points"),
    _m("local_suppliers", "count", "本地配套企业数", "Local suppliers", "enterprises"),
    _m("local_procurement_ratio", "ratio", "本地配套率", "Local procurement ratio"),
    _m("high_tech_certified", "bool", "高新技术企业", "High-tech enterprise certified"),
    _m("qms_certified", "bool", "质量管理体系认证", "Quality management system certified"),
    _m("quality_award", "bool", "省级以上质量奖", "Provincial-or-higher quality award"),
    _m("own_brand", "bool", "自主品牌", "Own brand"),
    _m("standards_drafting", "bool", "参与标准制修订", "Took part in drafting standards"),
    _m("sei_field", "bool", "属于战略性新兴产业", "Main product in a strategic emerging industry"),
    _m("key_chain_link", "bool", "补短板/锻长板/填空白", "Key chain link"),
    _m("six_foundations", "bool", "工业六基领域", "Industrial six foundations"),
    _m("compliance_ok", "bool", "无失信/重大事故", "Compliance record clean", actionable=False),
    _m("market_position_leading", "bool", "市场地位较为靠前", "Market position relatively high"),
    _m("st_award_level", "ordinal", "科技奖励级别", "S&T award level", choices=AWARD_LEVELS),
    _m("st_award_rank", "count", "科技奖励排名", "S&T award rank", "rank"),
    _m("chuangke_rank", "ordinal", "创客中国名次", "Chuangke China result", choices=CHUANGKE_RANKS),
)

FIELDS: dict[str, FactField] = {f.name: f for f in _FIELDS}
ATTRIBUTE_FIELDS: dict[str, FactField] = {f.name: f for f in _FIELDS if not f.annual}
METRIC_FIELDS: dict[str, FactField] = {f.name: f for f in _FIELDS if f.annual}
