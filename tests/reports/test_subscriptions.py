"""Nightly-report subscriptions end to end: a reader subscribes on the admin page, the night's reports
are built, the notice arrives in the (locmem) outbox with the scope's totals and a link to its report —
a county's too, which the night builds because someone subscribed; and nobody receives a report beyond
what their office may see."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import UserFactory
from tracker.models import EvaluationRun, Region, ReportSubscription, TierReport
from tracker.services.reports import report_notices_send, report_subscribe, reports_build_nightly
from tracker.services.roles import role_grant

pytestmark = pytest.mark.django_db


def staff(client, username: str, role: str, code: str):
    user = UserFactory(username=username, email=f"{username}@example.cn")
    role_grant(user=user, role=role, region=Region.objects.get(code=code))
    client.force_login(user)
    return user


def night(province, capture):
    EvaluationRun.objects.filter(pk=province.pk).update(kind="nightly")
    with capture(execute=True):
        return reports_build_nightly(run_id=province.pk)


def test_a_subscription_made_in_the_admin_brings_the_nightly_report_by_email(
    province, client, django_capture_on_commit_callbacks
):
    staff(client, "kunshan", "region_staff", "320583")
    page = client.post(reverse("admin:tracker_tierreport_subscriptions"), {"action": "subscribe", "region": "320583"})
    assert page.status_code == 302
    reports = night(province, django_capture_on_commit_callbacks)
    # The province, the 13 cities, and 昆山市 because someone receives it.
    assert len(reports) == 15 and reports[-1].region.code == "320583"
    assert [m.to for m in mail.outbox] == [["kunshan@example.cn"]]
    notice = mail.outbox[0]
    report = TierReport.objects.get(region__code="320583", report_date=province.as_of)
    assert "昆山市" in notice.subject and f"/admin/tracker/tierreport/{report.pk}/change/" in notice.body
    assert "持有称号" in notice.body


def test_a_subscriber_gets_one_notice_per_scope_and_a_paused_one_none(
    province, client, django_capture_on_commit_callbacks
):
    user = staff(client, "sheng", "province_staff", "320000")
    report_subscribe(user=user)  # the office's region: the province
    report_subscribe(user=user, region_code="3205")
    report_subscribe(user=user, region_code="320100", enabled=False)
    night(province, django_capture_on_commit_callbacks)
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f"【梯度培育】{name} {province.as_of} 梯度报告" for name in ("江苏省", "苏州市"))


def test_no_notice_beyond_the_office_even_after_the_office_moved(province, client):
    user = staff(client, "moved", "region_staff", "320500")
    report_subscribe(user=user)
    role_grant(user=user, role="region_staff", region=Region.objects.get(code="320100"))  # moved to 南京
    with pytest.raises(ValidationError):
        report_subscribe(user=user, region_code="320500")
    reports = reports_build_nightly(run_id=None, report_date=province.as_of)
    assert report_notices_send(report_ids=[r.pk for r in reports]) == 0
    assert not mail.outbox
    assert ReportSubscription.objects.filter(user=user).count() == 1  # kept: the office may move back
