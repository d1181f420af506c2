"""The report's frame against an independent oracle: every overview cell, the cluster table, the lists'
contents, computed here with plain ORM reads and Python loops over the rows."""

import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reports.conftest import DAY1
from tracker.models import ClusterMembership, Designation, EligibilityResult, Enterprise
from tracker.reports.frame import build_frame
from tracker.reports.sections import OVERVIEW_MEASURES, ReportFrame

pytestmark = pytest.mark.django_db
HOLDING = {"active", "review_due", "renewed"}


def held(d, on):
    return d.status in HOLDING and d.recognized_on is not None and d.recognized_on <= on and (
        d.valid_until is None or d.valid_until >= on)


def oracle(*, area_of, clusters=False, on=DAY1, since=DAY1 - dt.timedelta(days=1)) -> dict:
    """(tier, area) → measure → count, with ``area_of(enterprise)`` → area code or None (outside)."""
    members = defaultdict(set)
    for e, c in ClusterMembership.objects.values_list("enterprise_id", "cluster_id"):
        members[e].add(c)

    def areas(enterprise, cluster):
        if not clusters:
            a = area_of(enterprise)
            return [] if a is None else [a]
        if area_of(enterprise) is None:
            return []
        return [cluster] if cluster is not None else sorted(members[enterprise.pk])

    cells = defaultdict(Counter)
    status = {}
    for r in EligibilityResult.objects.select_related("enterprise__region").filter(fiscal_year=DAY1.year - 1):
        status[(r.enterprise_id, r.tier_id, r.cluster_id)] = r.status
        for a in areas(r.enterprise, r.cluster_id):
            cell = cells[(r.tier_id, a)]
            cell["eligible"] += r.status == "eligible"
            cell["insufficient"] += r.status == "insufficient_data"
            cell["near_miss"] += r.near_miss
            cell["candidates"] += r.status == "eligible"
    designations = list(Designation.objects.select_related("enterprise__region"))
    held_keys, pending_keys, due, expired, where = set(), set(), set(), set(), {}
    for d in designations:
        key = (d.enterprise_id, d.tier_id, d.cluster_id)
        where[key] = d.enterprise
        if held(d, on):
            held_keys.add(key)
            if d.status == "review_due" or (d.valid_until and d.valid_until <= on + dt.timedelta(days=90)):
                due.add(key)
        if d.status in ("candidate", "publicized"):
            pending_keys.add(key)
        if d.status not in ("revoked", "candidate", "publicized") and d.valid_until and since <= d.valid_until < on:
            expired.add(key)
    for keys, measure in ((held_keys, "held"), (due, "review_due"), (expired, "expired")):
        for key in keys:
            for a in areas(where[key], key[2]):
                cells[(key[1], a)][measure] += 1
                if measure == "held" and status.get(key) != "eligible":
                    cells[(key[1], a)]["at_risk"] += 1
    for key in held_keys | pending_keys:
        if status.get(key) == "eligible":
            for a in areas(where[key], key[2]):
                cells[(key[1], a)]["candidates"] -= 1
    return {k: {m: v[m] for m in OVERVIEW_MEASURES} for k, v in cells.items()}


def frame_cells(rows) -> dict:
    return {(r.tier_code, r.area_code): r.measures.counts for r in rows if not r.is_total}


def assert_cells_equal(got: dict, want: dict):
    zero = dict.fromkeys(OVERVIEW_MEASURES, 0)
    keys = set(got) | set(want)
    wrong = {k: (got.get(k, zero), want.get(k, zero)) for k in keys if got.get(k, zero) != want.get(k, zero)}
    assert not wrong, "\n".join(f"{k}: got {g} want {w}" for k, (g, w) in sorted(wrong.items()))


def assert_every_measure_occurs(want: dict):
    """The dataset is rich enough for the comparison to mean something."""
    assert any(v["held"] for v in want.values()) and any(v["at_risk"] for v in want.values())
    assert any(v["candidates"] for v in want.values()) and any(v["review_due"] for v in want.values())
    assert any(v["expired"] for v in want.values()) and any(v["near_miss"] for v in want.values())


def test_the_province_overview_matches_the_oracle_cell_by_cell(province):
    frame = build_frame(report_date=DAY1)
    assert (frame.scope.level, frame.data_date, frame.run_id, frame.stale) == ("province", DAY1, province.pk, False)
    want = oracle(area_of=lambda e: e.region.code[:4] + "00")
    assert_cells_equal(frame_cells(frame.overview_regions), want)
    assert_every_measure_occurs(want)
    for tier, _name in frame.tiers:  # the total rows add their cells up
        total = next(r for r in frame.overview_regions if r.tier_code == tier and r.is_total)
        for m in OVERVIEW_MEASURES:
            assert total.measures.counts[m] == sum(v[m] for (t, _a), v in want.items() if t == tier)
    assert all(v is None for r in frame.overview_regions for v in r.measures.deltas.values())  # no previous report


def test_a_city_report_has_a_row_per_county_and_one_for_the_city_itself(province):
    frame = build_frame(report_date=DAY1, region="3205")
    assert frame.scope.level == "city" and frame.scope.name == "苏州市"

    def area(e):
        if not e.region.code.startswith("3205"):
            return None
        return e.region.code  # a county's own code; the city's code is the "市本级" row

    assert_cells_equal(frame_cells(frame.overview_regions), oracle(area_of=area))
    names = {r.area_code: r.area_name for r in frame.overview_regions if not r.is_total}
    registered = set(Enterprise.objects.filter(region__code__startswith="3205").values_list("region__code", flat=True))
    assert names["320500"] == "市本级" and set(names) == registered | {"320500"} and len(names) > 2


def test_the_cluster_table_matches_the_oracle(province):
    frame = build_frame(report_date=DAY1)
    got = {(r.tier_code, r.area_code): r.measures.counts for r in frame.overview_clusters if not r.is_total}
    from tracker.models import Cluster

    codes = dict(Cluster.objects.values_list("id", "code"))
    want = {(t, codes[c]): v for (t, c), v in oracle(area_of=lambda e: "32", clusters=True).items()}
    assert_cells_equal(got, want)
    assert {r.group for r in frame.overview_clusters if not r.is_total} <= {
        "具有国际竞争力的战略性新兴产业集群", "国内领先的战略性新兴产业集群", "引领突破的未来产业集群"}


def test_the_lists_hold_what_the_oracle_finds(province):
    frame = build_frame(report_date=DAY1)
    near = EligibilityResult.objects.filter(near_miss=True)
    assert len(frame.near_misses) == near.count() > 0
    for tier in {r.tier_code for r in frame.near_misses}:
        distances = [r.distance for r in frame.near_misses if r.tier_code == tier]
        assert distances == sorted(distances)  # closest first
    assert all(row.lacks for row in frame.near_misses)
    money = [g for row in frame.near_misses for g in row.lacks if g.actual.endswith("万元")]
    assert money and all(g.required.startswith(("≥", ">", "≤", "<")) for g in money)
    insufficient = set(EligibilityResult.objects.filter(status="insufficient_data").values_list("enterprise_id", flat=True))
    assert {row.enterprise.id for row in frame.to_collect} == insufficient
    assert sum(c.enterprises for c in frame.to_collect_cities) == len(insufficient)
    assert all(c.top_missing for c in frame.to_collect_cities)
    buckets = Counter(row.bucket for row in frame.designations)
    assert buckets["expired"] and buckets["review_due"] and buckets["expiring"]
    want = Counter()
    for d in Designation.objects.select_related("tier"):
        since = DAY1 - dt.timedelta(days=1)
        if d.status not in ("revoked", "candidate", "publicized") and d.valid_until and since <= d.valid_until < DAY1:
            want[(d.enterprise_id, d.tier.name_zh, "expired", d.document_no)] += 1
        elif held(d, DAY1) and d.status == "review_due":
            want[(d.enterprise_id, d.tier.name_zh, "review_due", d.document_no)] += 1
        elif held(d, DAY1) and d.valid_until and d.valid_until <= DAY1 + dt.timedelta(days=90):
            want[(d.enterprise_id, d.tier.name_zh, "expiring", d.document_no)] += 1
    got = Counter((r.enterprise.id, r.tier_name, r.bucket, r.document_no) for r in frame.designations)
    assert got == want
    assert frame.changes == [] or all(c.change in ("gained", "lost") for c in frame.changes)
    assert frame.truncated == {}
    # Coverage: one row per cluster and per chain segment; a row with nothing is highlighted.
    assert all(r.highlight == (r.chain_leader + r.little_giants + r.single_champions + r.specialized == 0)
               for r in frame.coverage)
    assert ReportFrame.from_json(frame.to_json()) == frame


def test_the_frame_is_set_based_its_query_count_does_not_grow_with_the_rows(province, settings):
    with CaptureQueriesContext(connection) as small:
        build_frame(report_date=DAY1, region="3205")
    # Double the near misses, designations and insufficient results: the same number of queries.
    EligibilityResult.objects.filter(status="not_eligible").update(near_miss=True)
    with CaptureQueriesContext(connection) as large:
        build_frame(report_date=DAY1, region="3205")
    # Not more queries (fewer when the longer lists already hold the enterprises another list names:
    # their official columns are read once, tracker/reports/refs.py RefReader).
    assert len(large.captured_queries) <= len(small.captured_queries) < 80


def test_caps_are_recorded_in_truncated(province, monkeypatch):
    from tracker.reports import lists

    monkeypatch.setitem(lists.CAPS, "near_misses", 1)
    monkeypatch.setitem(lists.CAPS, "to_collect", 2)
    frame = build_frame(report_date=DAY1)
    by_tier = Counter(EligibilityResult.objects.filter(near_miss=True).values_list("tier_id", flat=True))
    assert len(frame.near_misses) == len(by_tier)
    assert {k: v for k, v in frame.truncated.items() if k.startswith("near_misses:")} == {
        f"near_misses:{t}": n - 1 for t, n in by_tier.items() if n > 1}
    assert len(frame.to_collect) == 2 and frame.truncated["to_collect"] > 0
