"""The night's reports read each list once for all their scopes (tracker/reports/shared.py): every
frame built that way is the frame its scope's report builds alone — caps, counts of what the caps
leave out, gaps and official columns included."""

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reports.conftest import DAY1
from tracker.models import EligibilityResult, Enterprise, Region, TierChange
from tracker.pipeline.facts_loader import per_cluster_tiers
from tracker.reports import lists
from tracker.reports.frame import build_frame, report_run
from tracker.reports.gaps import GapReader
from tracker.reports.parts import Parts
from tracker.reports.scope import RegionTable, city_codes, resolve_scope
from tracker.reports.shared import SharedLists
from tracker.reports.source import load_source

pytestmark = pytest.mark.django_db


def build_together(codes):
    """The frames of ``codes`` built as the night builds them: one source, one reading of each list."""
    table = RegionTable.load()
    run_info = report_run(DAY1)
    reader = GapReader(as_of=run_info[0].as_of, fiscal_year=run_info[0].fiscal_year, per_cluster=per_cluster_tiers())
    shared_lists = SharedLists(scopes=[resolve_scope(code, table) for code in codes], table=table, gap_reader=reader)
    source = load_source(data_date=DAY1, previous_data_date=None)
    return {code: build_frame(report_date=DAY1, region=code, source=source, table=table, run_info=run_info,
                              gap_reader=reader, shared_lists=shared_lists) for code in codes}


def assert_same(together, alone):
    for name in ("overview_regions", "overview_clusters", "changes", "near_misses", "coverage",
                 "to_collect_cities", "to_collect", "designations", "truncated"):
        assert getattr(together, name) == getattr(alone, name), name
    assert together == alone


@pytest.fixture
def small_caps(monkeypatch):
    """Caps smaller than the lists, so that the merge of the parts' first rows and the counts matter."""
    for section, cap in (("changes", 3), ("near_misses", 2), ("to_collect", 3), ("designations", 2)):
        monkeypatch.setitem(lists.CAPS, section, cap)


def record_changes(run):
    """Events of the run in every city: gains of eligible results, losses of the others (their
    current result is read for the criteria that flipped)."""
    rows = EligibilityResult.objects.order_by("enterprise_id", "tier_id")
    events = [TierChange(enterprise_id=r.enterprise_id, tier_id=r.tier_id, cluster_id=r.cluster_id,
                         fiscal_year=r.fiscal_year, run=run, change="gained" if r.status == "eligible" else "lost",
                         from_status="not_eligible" if r.status == "eligible" else "eligible", to_status=r.status)
              for r in [*rows.filter(status="eligible")[:40], *rows.filter(status="not_eligible")[:40]]]
    TierChange.objects.bulk_create(events)
    assert len({e.enterprise.region.code[:4] for e in events}) > 3


def test_the_night_s_frames_are_those_built_alone(province, small_caps):
    record_changes(province)
    codes = [None, *city_codes()]
    together = build_together(codes)
    for code in codes:
        assert_same(together[code], build_frame(report_date=DAY1, region=code))
    province_frame = together[None]
    assert province_frame.truncated["changes"] and province_frame.truncated["designations"]
    assert any(k.startswith("near_misses:") for k in province_frame.truncated)
    assert len(province_frame.near_misses) > 2 and len(province_frame.changes) == 3


def test_nested_scopes_a_county_inside_its_city_inside_the_province(province, small_caps):
    county = Region.objects.filter(level="county", code__startswith="3205", retired_in__isnull=True,
                                   enterprises__isnull=False).order_by("code").first()
    codes = [None, "320500", county.code]
    together = build_together(codes)
    for code in codes:
        assert_same(together[code], build_frame(report_date=DAY1, region=code))
    assert together[county.code].scope.level == "county"


def test_uncapped_the_frames_are_also_equal_and_the_lists_are_read_once(province):
    record_changes(province)
    codes = [None, *city_codes()]
    with CaptureQueriesContext(connection) as night:
        together = build_together(codes)
    for code in codes:
        assert_same(together[code], build_frame(report_date=DAY1, region=code))
    near_miss_reads = [q for q in night.captured_queries
                       if "near_miss" in q["sql"] and "ROW_NUMBER" in q["sql"].upper()]
    assert len(near_miss_reads) == 1


def test_the_parts_of_the_night(province):
    table = RegionTable.load()
    scopes = [resolve_scope(code, table) for code in [None, *city_codes()]]
    parts = Parts.of(scopes, table)
    # Each city is one part of its own; the province's own code is in no city: one more part.
    assert {len(parts.scope_parts[s.region_code]) for s in scopes[1:]} == {1}
    assert len(parts.scope_parts["320000"]) == len(set(parts.region_part.values()))
    assert set(parts.region_part) == set(table.codes)
    suzhou = parts.scope_parts["320500"]
    inside = {r for r, p in parts.region_part.items() if p in suzhou}
    assert inside == set(resolve_scope("320500", table).region_ids)


def test_a_scope_outside_the_shared_reading_reads_its_own(province):
    """A county built with the night's readings (which hold no county) gets its own, not a wrong one."""
    table = RegionTable.load()
    run_info = report_run(DAY1)
    reader = GapReader(as_of=DAY1, fiscal_year=run_info[0].fiscal_year, per_cluster=per_cluster_tiers())
    shared_lists = SharedLists(scopes=[resolve_scope(None, table)], table=table, gap_reader=reader)
    county = Enterprise.objects.filter(region__level="county").values_list("region__code", flat=True).first()
    got = build_frame(report_date=DAY1, region=county, table=table, run_info=run_info, gap_reader=reader,
                      shared_lists=shared_lists)
    assert dataclasses.asdict(got) == dataclasses.asdict(build_frame(report_date=DAY1, region=county))
    assert EligibilityResult.objects.exists()


def test_the_stored_json_is_what_asdict_gives(province):
    """``to_json`` walks the frame itself rather than through ``dataclasses.asdict`` (its deep copy cost
    seconds per province frame): the same JSON, and it reads back to the same frame."""
    from tests.reports.frames import long_frame
    from tracker.reports.sections import ReportFrame, _encode

    record_changes(province)
    for frame in (build_frame(report_date=DAY1), long_frame(30)):
        assert frame.to_json() == _encode(dataclasses.asdict(frame))
        assert ReportFrame.from_json(frame.to_json()) == frame
