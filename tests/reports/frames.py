"""Report frames built by hand, for testing the renderers without a database.

``province_frame()`` reads like a real morning's report of 江苏省: several cities, eight tiers, clusters
in their 51010 groups, gains and losses, near misses with their gaps, a stale run's note optional, and
the ``None`` of a first report (no previous report: no deltas) or of an unknown date. ``long_frame(n)``
holds lists of ``n`` rows for the streaming and capping tests.
"""

from __future__ import annotations

import datetime as dt

from tracker.reports.sections import (
    OVERVIEW_MEASURES,
    ChangeRow,
    ClusterCoverageRow,
    CriterionGap,
    DataToCollectCity,
    DataToCollectRow,
    DesignationRow,
    EnterpriseRef,
    Measures,
    MissingFact,
    NearMissRow,
    OverviewRow,
    ReportFrame,
    Scope,
)

TIERS = [
    ("innovative_sme", "创新型中小企业"),
    ("specialized_sme", "专精特新中小企业"),
    ("little_giant", "专精特新“小巨人”企业"),
    ("single_champion", "制造业单项冠军企业"),
    ("gazelle", "瞪羚企业"),
    ("potential_unicorn", "潜在独角兽企业"),
    ("unicorn", "独角兽企业"),
    ("chain_leader", "链主企业"),
]
CITIES = [("320100", "南京市"), ("320200", "无锡市"), ("320400", "常州市"), ("320500", "苏州市"),
          ("320600", "南通市")]
COUNTIES = {"320500": "昆山市", "320200": "江阴市", "320100": "江宁区", "320400": "武进区", "320600": "海门区"}
CLUSTERS = [
    ("国际竞争力", "biomedicine", "生物医药产业集群", ["研发外包", "创新药", "医疗器械"]),
    ("国际竞争力", "intelligent_equipment", "智能制造装备产业集群", ["工业机器人", "数控机床"]),
    ("国内领先", "integrated_circuits", "集成电路产业集群", ["设计", "制造", "封装测试"]),
    ("未来产业", "power_equipment", "新型电力装备产业集群", ["储能", "智能电网"]),
]
DATA_DATE = dt.date(2026, 12, 1)
# The size of the pyramid: held per tier in a city of weight 1.
BASE = {"innovative_sme": 420, "specialized_sme": 160, "little_giant": 28, "single_champion": 6, "gazelle": 55,
        "potential_unicorn": 9, "unicorn": 2, "chain_leader": 3}
WEIGHTS = {"320100": 1.6, "320200": 1.2, "320400": 0.8, "320500": 2.1, "320600": 0.9}


def measures(held: int, *, seed: int, first: bool = False) -> Measures:
    counts = {
        "held": held,
        "eligible": held + seed % 7,
        "candidates": seed % 5 + 1,
        "at_risk": seed % 3,
        "near_miss": held // 4 + seed % 4,
        "insufficient": held // 6,
        "review_due": seed % 4,
        "expired": seed % 2,
    }
    deltas = {m: None if first else (seed * (k + 3) + seed // 7) % 7 - 3 for k, m in enumerate(OVERVIEW_MEASURES)}
    return Measures(counts=counts, deltas=deltas)


def _total(rows: list[OverviewRow], tier_code: str, tier_name: str, group: str = "") -> OverviewRow:
    counts = {m: sum(r.measures.counts[m] for r in rows) for m in OVERVIEW_MEASURES}
    deltas = {
        m: None if any(r.measures.deltas[m] is None for r in rows) else sum(r.measures.deltas[m] for r in rows)
        for m in OVERVIEW_MEASURES
    }
    return OverviewRow(tier_code, tier_name, "", "合计", group, Measures(counts, deltas), is_total=True)


def overview_regions(first: bool = False) -> list[OverviewRow]:
    rows = []
    for t, (code, name) in enumerate(TIERS):
        tier_rows = [
            OverviewRow(code, name, city_code, city_name, "",
                        measures(round(BASE[code] * WEIGHTS[city_code]), seed=t * 7 + c, first=first))
            for c, (city_code, city_name) in enumerate(CITIES)
        ]
        rows += [*tier_rows, _total(tier_rows, code, name)]
    return rows


def overview_clusters() -> list[OverviewRow]:
    rows = []
    for t, (code, name) in enumerate(TIERS[:4]):
        for c, (group, cluster_code, cluster_name, _segments) in enumerate(CLUSTERS):
            rows.append(OverviewRow(code, name, cluster_code, cluster_name, group,
                                    measures(BASE[code] // (c + 2), seed=t + c)))
    return rows


def enterprise(i: int) -> EnterpriseRef:
    city_code, city = CITIES[i % len(CITIES)]
    county = "" if i % 4 == 3 else COUNTIES[city_code]
    prefix = city.removesuffix("市")
    return EnterpriseRef(id=1000 + i, name=f"{prefix}{['恒瑞', '精工', '芯联', '华电', '博思'][i % 5]}科技有限公司{i}",
                         uscc=f"91{city_code}{i:09d}X"[:18], city=city, county=county,
                         clusters="、".join(c[2] for c in CLUSTERS[: 1 + i % 2]))


def gap_revenue(actual: str = "3,120.50万元", shortfall: str = "差 1,879.50万元") -> CriterionGap:
    return CriterionGap(criterion="上年度营业收入", actual=actual, required="≥ 5,000.00万元", shortfall=shortfall)


def gap_rd() -> CriterionGap:
    return CriterionGap(criterion="研发费用占营业收入比重", actual="2.8%", required="≥ 3.0%", shortfall="差 0.2个百分点")


def gap_unknown() -> CriterionGap:
    return CriterionGap(criterion="主导产品细分市场占有率", actual="缺数据", required="≥ 10.0%", shortfall="",
                        actionable=True)


def gap_years() -> CriterionGap:
    return CriterionGap(criterion="从事特定细分市场年限", actual="2年", required="≥ 3年", shortfall="差 1年",
                        actionable=False, when="再经营1年后满足")


def flips(i: int, gained: bool) -> list[CriterionGap]:
    """A gain's criteria unmet before, met now; a loss's the other way; every third change has two."""
    if gained:
        rows = [CriterionGap(criterion="上年度营业收入", before="4,210.00万元", actual="5,360.25万元",
                             required="≥ 5,000.00万元", shortfall="")]
    else:
        rows = [CriterionGap(criterion="研发费用占营业收入比重", before="3.4%", actual="2.8%", required="≥ 3.0%",
                             shortfall="差 0.2个百分点")]
    if i % 3 == 0:
        rows.append(CriterionGap(criterion="已认定为专精特新中小企业", before="未达标" if gained else "达标",
                                 actual="达标" if gained else "未达标", required="", shortfall=""))
    return rows


def changes(n: int = 6) -> list[ChangeRow]:
    rows = []
    for i in range(n):
        code, name = TIERS[1 + i % 3]
        gained = i % 3 != 2
        rows.append(ChangeRow(
            enterprise=enterprise(i), tier_code=code, tier_name=name,
            cluster="集成电路产业集群" if code == "chain_leader" else "",
            change="gained" if gained else "lost", change_label="新增" if gained else "失去",
            status_before="不符合" if gained else "符合", status_after="符合" if gained else "不符合",
            flipped=flips(i, gained),
            changed_at=dt.datetime(2026, 12, 1, 2, 14, tzinfo=dt.UTC) if i % 2 else None,
        ))
    return rows


def near_misses(n: int = 8) -> list[NearMissRow]:
    rows = []
    for i in range(n - 1):
        code, name = TIERS[1 + i % 2]
        lacks = [gap_revenue()] if i % 3 == 0 else [gap_rd(), gap_unknown()] if i % 3 == 1 else [gap_years()]
        rows.append(NearMissRow(enterprise=enterprise(i + 40), tier_code=code, tier_name=name,
                                distance=round(0.02 + i * 0.013, 3), lacks=lacks))
    rows.append(NearMissRow(enterprise=enterprise(n + 39), tier_code="chain_leader", tier_name="链主企业",
                            distance=0.09, cluster="集成电路产业集群",
                            lacks=[CriterionGap(criterion="集群内营业收入排名前三", actual="4", required="≤ 3",
                                                shortfall="超 1")]))  # the rank is within its cluster
    return rows


def coverage() -> list[ClusterCoverageRow]:
    rows = []
    for c, (group, code, name, segments) in enumerate(CLUSTERS):
        rows.append(ClusterCoverageRow(group, code, name, "", chain_leader=1 if c < 3 else 0,
                                       little_giants=12 - c * 3, single_champions=3 - c if c < 3 else 0,
                                       specialized=80 - c * 15, highlight=False))
        for s, segment in enumerate(segments):
            empty = (c + s) % 3 == 2
            rows.append(ClusterCoverageRow(group, code, name, segment, chain_leader=0 if empty else s % 2,
                                           little_giants=0 if empty else 2 + s, single_champions=0,
                                           specialized=0 if empty else 10 + s, highlight=empty))
    return rows


def to_collect_cities() -> list[DataToCollectCity]:
    facts = ["研发费用", "主导产品细分市场占有率", "发明专利数", "从业人员"]
    return [DataToCollectCity(code, name, 120 - i * 17,
                              [MissingFact(facts[(i + k) % 4], 90 - i * 11 - k * 20) for k in range(3)])
            for i, (code, name) in enumerate(CITIES)]


def to_collect(n: int = 5) -> list[DataToCollectRow]:
    return [DataToCollectRow(enterprise(i + 80), "专精特新中小企业、创新型中小企业" if i % 2 else "专精特新中小企业",
                             "研发费用、主导产品细分市场占有率" if i % 2 else "发明专利数") for i in range(n)]


def designations(n: int = 6) -> list[DesignationRow]:
    buckets = [("review_due", "待复核"), ("expiring", "有效"), ("expired", "已过期")]
    rows = []
    for i in range(n):
        bucket, status = buckets[i % 3]
        rows.append(DesignationRow(
            enterprise=enterprise(i + 120), tier_name=TIERS[1 + i % 2][1], batch=f"2023年第{1 + i % 2}批",
            document_no=f"苏工信中小〔2023〕{560 + i}号", recognized_on=dt.date(2023, 12, 20) if i != 4 else None,
            valid_until=dt.date(2026, 12, 19) + dt.timedelta(days=i * 11) if i != 4 else None,
            status=status, bucket=bucket))
    return rows


def trend(days: int = 30) -> list[tuple[dt.date, dict[str, int]]]:
    start = DATA_DATE - dt.timedelta(days=days - 1)
    total = sum(WEIGHTS.values())
    return [(start + dt.timedelta(days=d), {code: round(BASE[code] * total) - (days - 1 - d) // (3 + t)
                                            for t, (code, _n) in enumerate(TIERS)}) for d in range(days)]


def province_frame(*, stale: bool = False, first: bool = False) -> ReportFrame:
    return ReportFrame(
        scope=Scope(code="320000", name="江苏省", level="province"),
        report_date=dt.date(2026, 12, 2), data_date=DATA_DATE if not stale else DATA_DATE - dt.timedelta(days=1),
        run_id=None if stale else 412, stale=stale,
        stale_reason="12月2日的全量计算未完成，结果来自上一次运行" if stale else "",
        previous_report_date=None if first else dt.date(2026, 12, 1),
        tiers=list(TIERS), overview_regions=overview_regions(first), overview_clusters=overview_clusters(),
        changes=changes(), near_misses=near_misses(), coverage=coverage(),
        to_collect_cities=to_collect_cities(), to_collect=to_collect(), designations=designations(),
        trend=[] if first else trend(),
    )


def city_frame() -> ReportFrame:
    frame = province_frame()
    frame.scope = Scope(code="320500", name="苏州市", level="city")
    return frame


def long_frame(n: int) -> ReportFrame:
    """A province frame whose lists hold ``n`` rows each (the xlsx streams them; the PDF caps them)."""
    frame = province_frame()
    frame.changes = changes(n)
    frame.near_misses = near_misses(n)
    frame.to_collect = to_collect(n)
    frame.designations = designations(n)
    return frame


def tiny_frame(code: str = "320100", name: str = "南京市") -> ReportFrame:
    """A city's report with a row or two per section: for pages whose subject is not the report itself."""
    frame = province_frame()
    frame.scope = Scope(code=code, name=name, level="city")
    frame.tiers = frame.tiers[:2]
    frame.overview_regions = [row for row in frame.overview_regions if row.tier_code in dict(frame.tiers)][:3]
    frame.overview_clusters = frame.overview_clusters[:1]
    frame.changes, frame.near_misses = frame.changes[:1], frame.near_misses[:1]
    frame.coverage, frame.to_collect_cities = frame.coverage[:2], frame.to_collect_cities[:1]
    frame.to_collect, frame.designations = frame.to_collect[:1], frame.designations[:1]
    frame.trend = [(day, {c: n for c, n in counts.items() if c in dict(frame.tiers)}) for day, counts in frame.trend]
    return frame
