"""Building and storing reports: replace-not-duplicate, the changes across two nights, a failed night's
stale reports, the region rule, the email notices."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import UserFactory, give_office
from tests.reports.conftest import DAY1, nightly
from tracker.models import AnnualMetrics, EligibilityResult, EvaluationRun, TierChange, TierReport
from tracker.observability import health
from tracker.reports.sections import ReportFrame
from tracker.services.reports import report_build, report_subscribe, reports_build_nightly

pytestmark = pytest.mark.django_db


def test_a_rebuild_replaces_the_report_of_that_date_and_scope(province):
    first = report_build(report_date=DAY1, region_code="3205")
    again = report_build(report_date=DAY1, region_code="320500")
    assert TierReport.objects.filter(report_date=DAY1).count() == 1
    assert again.pk == first.pk and again.built_at >= first.built_at
    assert again.region.code == "320500" and again.data_date == DAY1 and not again.stale
    frame = ReportFrame.from_json(again.content)
    assert frame.scope.name == "苏州市" and frame.trend == [(DAY1, again.summary["held"])]


def test_a_report_stores_the_head_its_page_shows(province, monkeypatch):
    monkeypatch.setattr("tracker.services.reports.PAGE_ROWS", 1)
    report = report_build(report_date=DAY1, region_code="3205")
    whole, head = ReportFrame.from_json(report.content), ReportFrame.from_json(report.head)
    assert len(whole.near_misses) > 1 and head.near_misses == whole.near_misses[:1]
    assert head.truncated["near_misses"] == whole.truncated.get("near_misses", 0) + len(whole.near_misses) - 1
    assert head.overview_regions == whole.overview_regions and head.trend == whole.trend


def test_the_second_night_reports_what_changed_with_the_criterion_and_the_deltas(province):
    report_build(report_date=DAY1)
    loser = EligibilityResult.objects.filter(tier_id="innovative_sme", status="eligible").order_by("pk").first()
    before = TierChange.objects.count()
    # The night after: the enterprise's figures of the assessed year turn out wrong and are withdrawn.
    AnnualMetrics.objects.filter(enterprise_id=loser.enterprise_id, fiscal_year=DAY1.year - 1).delete()
    day2 = DAY1 + dt.timedelta(days=1)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        nightly(day2)
        report = report_build(report_date=day2)
    assert TierChange.objects.count() > before
    frame = ReportFrame.from_json(report.content)
    assert frame.previous_report_date == DAY1 and frame.data_date == day2
    lost = [c for c in frame.changes if c.enterprise.id == loser.enterprise_id and c.tier_code == "innovative_sme"]
    assert len(lost) == 1 and lost[0].change == "lost" and lost[0].change_label == "失去"
    assert lost[0].status_before == "符合" and lost[0].status_after in ("不符合", "数据不足")
    if lost[0].status_after == "不符合":
        assert lost[0].flipped and all(gap.criterion and gap.required for gap in lost[0].flipped)
    # Only the second night's events: nothing the first report already covered.
    assert {c.changed_at for c in frame.changes} and min(c.changed_at for c in frame.changes) > \
        TierReport.objects.get(report_date=DAY1, region__code="320000").built_at
    total = next(r for r in frame.overview_regions if r.tier_code == "innovative_sme" and r.is_total)
    gained = sum(1 for c in frame.changes if c.tier_code == "innovative_sme" and c.change == "gained")
    lost_all = sum(1 for c in frame.changes if c.tier_code == "innovative_sme" and c.change == "lost")
    assert total.measures.deltas["eligible"] == gained - lost_all
    assert [day for day, _held in frame.trend] == [DAY1, day2]


def test_a_failed_night_yields_stale_reports_from_the_previous_run(province, settings):
    day2 = DAY1 + dt.timedelta(days=1)
    failed = EvaluationRun.objects.create(kind="nightly", as_of=day2, fiscal_year=day2.year - 1, status="failed",
                                          started_at=timezone.now(), finished_at=timezone.now(), error_message="boom")
    reports = reports_build_nightly(run_id=failed.pk)
    assert len(reports) == 14 and {r.region.level for r in reports} == {"province", "prefecture"}
    assert all(r.stale and r.report_date == day2 and r.data_date == DAY1 and r.run_id == province.pk for r in reports)
    assert "失败" in reports[0].stale_reason and "上一次评价（2026-05-01）" in reports[0].stale_reason
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # scheduled: the check applies
    check = health.report()
    assert not check.ok and "previous run" in check.detail


def test_a_user_may_build_only_a_region_they_see(province):
    city_user = UserFactory()
    give_office(city_user, "320100")
    with pytest.raises(ValidationError) as refused:
        report_build(report_date=DAY1, region_code="3205", user=city_user)
    assert "region" in refused.value.message_dict
    assert report_build(report_date=DAY1, region_code="3201", user=city_user).region.code == "320100"
    assert TierReport.objects.visible_to(city_user).count() == 1
    report_build(report_date=DAY1)
    assert TierReport.objects.visible_to(city_user).count() == 1  # not the province's


def test_the_nightly_notices_go_to_subscribers_of_each_report_region(province, django_capture_on_commit_callbacks):
    suzhou = UserFactory(username="suzhou", email="suzhou@example.cn")
    give_office(suzhou, "320500")
    provincial = UserFactory(username="sheng", email="sheng@example.cn")
    give_office(provincial)
    quiet = UserFactory(username="quiet", email="quiet@example.cn")
    give_office(quiet, "320500")
    for user in (suzhou, provincial):
        report_subscribe(user=user)
    report_subscribe(user=quiet, enabled=False)
    run = EvaluationRun.objects.get(pk=province.pk)
    EvaluationRun.objects.filter(pk=run.pk).update(kind="nightly")
    with django_capture_on_commit_callbacks(execute=True):
        reports = reports_build_nightly(run_id=run.pk)
    assert len(reports) == 14
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {"suzhou@example.cn", "sheng@example.cn"}
    assert "苏州市" in sent["suzhou@example.cn"].subject and "江苏省" in sent["sheng@example.cn"].subject
    body = sent["suzhou@example.cn"].body
    report = TierReport.objects.get(region__code="320500", report_date=DAY1)
    assert "持有称号" in body and "当前符合" in body and f"/tierreport/{report.pk}/" in body
