"""变化: each gained or lost tier with the criteria that flipped, value before → after. The "before" is
recomputed from the facts as saved at the previous report (their history), so the first report's
near-miss values are the oracle of the second report's gains; and the whole list is read set-based."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.reports.conftest import DAY1, nightly
from tracker.models import AnnualMetrics, EligibilityResult, EvaluationRun
from tracker.pipeline.cluster_ranks import ClusterRevenueRanks
from tracker.pipeline.facts_loader import per_cluster_tiers
from tracker.reports import lists
from tracker.reports.flips import before_of, flipped_criteria
from tracker.reports.frame import ladder
from tracker.reports.past_facts import facts_at
from tracker.reports.scope import RegionTable, resolve_scope
from tracker.reports.sections import ReportFrame
from tracker.selectors.results import failing_criteria
from tracker.services.metrics import metrics_update
from tracker.services.reports import report_build

pytestmark = pytest.mark.django_db
FY = DAY1.year - 1
FIGURES = {"rd_ratio_min_2y", "rd_expense_min_2y", "main_business_share", "platform_score"}


def recorded(run: EvaluationRun) -> None:
    """The metrics as an import leaves them: each row's creation in its history, before the first run."""
    rows = list(AnnualMetrics.objects.all())
    AnnualMetrics.history.bulk_history_create(rows, default_date=run.created_at - dt.timedelta(minutes=1))


def raise_figures(metrics: AnnualMetrics) -> None:
    revenue = metrics.revenue
    metrics_update(metrics=metrics, rd_expense=max(metrics.rd_expense or 0, (revenue * Decimal("0.05")).quantize(1)),
                   main_business_revenue=max(metrics.main_business_revenue or 0,
                                             (revenue * Decimal("0.93")).quantize(1)),
                   platform_score=max(metrics.platform_score or 0, Decimal("70.00")))


def second_night(edit) -> ReportFrame:
    day2 = DAY1 + dt.timedelta(days=1)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        edit()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        nightly(day2)
        return ReportFrame.from_json(report_build(report_date=day2).content)


def test_a_gain_shows_what_it_lacked_at_the_previous_report_and_what_it_has_now(province):
    recorded(province)
    first = ReportFrame.from_json(report_build(report_date=DAY1).content)
    near = list(EligibilityResult.objects.filter(tier_id="specialized_sme", near_miss=True).order_by("enterprise_id"))
    lacking = failing_criteria(near)
    picked = [r.enterprise_id for r in near if lacking[r.pk] and {c["id"] for c in lacking[r.pk]} <= FIGURES][:3]
    assert picked, "the demo province has near misses that corrected figures fix"
    frame = second_night(lambda: [raise_figures(m) for m in AnnualMetrics.objects.filter(
        enterprise_id__in=picked, fiscal_year=FY)])
    gains = {c.enterprise.id: c for c in frame.changes if c.tier_code == "specialized_sme" and c.change == "gained"}
    assert set(picked) <= set(gains)
    for enterprise in picked:
        was = next(m for m in first.near_misses if m.enterprise.id == enterprise and m.tier_code == "specialized_sme")
        change = gains[enterprise]
        assert (change.status_before, change.status_after) == ("不符合", "符合")
        # The criteria it lacked, each with the value the previous report showed, and its value now.
        assert [(g.criterion, g.before, g.required) for g in change.flipped] == \
            [(g.criterion, g.actual, g.required) for g in was.lacks]
        assert all(g.actual not in ("", "缺数据") and g.actual != g.before for g in change.flipped)


def test_a_loss_shows_the_criterion_it_now_fails_with_the_value_it_had(province):
    recorded(province)
    report_build(report_date=DAY1)
    loser = (EligibilityResult.objects.filter(tier_id="specialized_sme", status="eligible")
             .order_by("enterprise_id").first())
    metrics = AnnualMetrics.objects.get(enterprise_id=loser.enterprise_id, fiscal_year=FY)
    ratio_before = min(float(m.rd_expense / m.revenue) for m in AnnualMetrics.objects.filter(
        enterprise_id=loser.enterprise_id, fiscal_year__in=[FY - 1, FY]))
    frame = second_night(lambda: metrics_update(metrics=metrics, rd_expense=(metrics.revenue * Decimal("0.012"))
                                                .quantize(Decimal("1"))))
    (change,) = [c for c in frame.changes if c.enterprise.id == loser.enterprise_id and c.tier_code == "specialized_sme"]
    assert change.change == "lost"
    (flip,) = [g for g in change.flipped if "研发费用占营业收入比重" in g.criterion]
    assert flip.before == f"{ratio_before * 100:.2f}%" and flip.actual == "1.20%"
    assert flip.required == "≥ 3.00%" and flip.shortfall == "差 1.80%"


def test_the_past_facts_follow_the_history_of_each_row(province):
    """A row's state at a moment: its last snapshot by then; a row created later is absent; a row
    deleted later stands as its deletion recorded it; a row written around the history stands as it is."""
    enterprise = EligibilityResult.objects.order_by("enterprise_id").first().enterprise_id
    ranks = ClusterRevenueRanks()
    rows = {m.fiscal_year: m for m in AnnualMetrics.objects.filter(enterprise_id=enterprise)}
    recorded_year, deleted_year, untracked_year = FY, FY - 1, FY - 2
    was = {year: rows[year].employees for year in (recorded_year, deleted_year)}
    start = timezone.now()
    AnnualMetrics.history.bulk_history_create([rows[recorded_year], rows[deleted_year]],
                                              default_date=start - dt.timedelta(days=2))
    with time_machine.travel(start + dt.timedelta(hours=1)):
        metrics_update(metrics=rows[recorded_year], employees=4321)
        rows[deleted_year].delete()
        metrics_update(metrics=rows[untracked_year], employees=1234)
        AnnualMetrics.objects.create(enterprise_id=enterprise, fiscal_year=FY + 1, employees=99)

    def employees(moment):
        chunk = facts_at(enterprise_ids=[enterprise], moment=moment, as_of=DAY1, fiscal_year=FY + 1,
                         per_cluster=per_cluster_tiers(), ranks=ranks)
        return {year: chunk.facts.metric("employees", year)[0] for year in (recorded_year, deleted_year,
                                                                           untracked_year, FY + 1)}

    before, after = employees(start), employees(start + dt.timedelta(hours=2))
    assert (before[recorded_year], after[recorded_year]) == (was[recorded_year], 4321)
    assert before[deleted_year] == was[deleted_year] and np.isnan(after[deleted_year])
    assert before[untracked_year] == after[untracked_year] == 1234  # no record of its earlier state
    assert np.isnan(before[FY + 1]) and after[FY + 1] == 99  # created after the moment: absent


def test_the_flipped_criteria_are_read_set_based(province):
    """As many queries for fifty changes as for two: nothing is read per row."""
    run = EvaluationRun.objects.get(pk=province.pk)
    table = RegionTable.load()
    results = list(EligibilityResult.objects.exclude(status="eligible").order_by("id")[:25]) + \
        list(EligibilityResult.objects.filter(status="eligible").order_by("id")[:25])

    def changes(n):
        picked = results[:n // 2] + results[25:25 + n // 2]
        return [{"enterprise_id": r.enterprise_id, "tier_id": r.tier_id, "cluster_id": r.cluster_id,
                 "change": "gained" if r.status == "eligible" else "lost", "to_status": r.status} for r in picked]

    counts = []
    for n in (2, 50):
        rows = changes(n)
        context = lists.ListContext.of(scope=resolve_scope(None, table), table=table, run=run,
                                       tier_names=dict(ladder()), gap_reader=None, previous_data_date=None)
        with CaptureQueriesContext(connection) as queries:
            flipped = flipped_criteria(context, rows, before=before_of(run, None))
        counts.append(len(queries))
        assert len(flipped) >= n // 2  # the losses at least: their unmet criteria are stored
    assert counts[0] == counts[1], counts
