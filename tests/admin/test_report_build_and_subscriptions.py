"""The admin's report tools: the build page (a date and a scope within one's office, then the page, the
xlsx or the PDF), each reader's own nightly-report subscriptions, and everyone's for the province
administrator — with the real roles' permissions."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import UserFactory, region
from tests.reports.frames import city_frame
from tracker.models import ReportSubscription, TierReport
from tracker.reports.frame import NoResults
from tracker.services.roles import role_grant

pytestmark = pytest.mark.django_db
BUILD = "admin:tracker_tierreport_build"
MINE = "admin:tracker_tierreport_subscriptions"


@pytest.fixture
def regions():
    return {code: region(code, name) for code, name in (
        ("320000", "江苏省"), ("320100", "南京市"), ("320500", "苏州市"), ("320583", "昆山市"), ("320585", "太仓市"),
    )}


def staff(client, role: str, code: str, **fields):
    user = UserFactory(**fields)
    role_grant(user=user, role=role, region=region(code))
    client.force_login(user)
    return user


def stored(code: str = "320500") -> TierReport:
    frame = city_frame()
    return TierReport.objects.create(report_date=frame.report_date, region=region(code), data_date=frame.data_date,
                                     content=frame.to_json(), built_at=timezone.now())


def test_the_build_page_offers_the_scopes_within_the_office_only(client, regions):
    staff(client, "region_staff", "320500")
    response = client.get(reverse(BUILD))
    assert response.status_code == 200
    options = [code for code, _label in response.context["form"].fields["region"].choices]
    assert [str(code) for code in options] == ["320500", "320583", "320585"]
    assert "苏州市（320500）" in response.content.decode()


def test_building_calls_the_service_and_opens_the_report(client, regions, monkeypatch):
    report = stored()
    calls = []

    def build(**kwargs):
        calls.append(kwargs)
        return report

    monkeypatch.setattr("tracker.admin.report_build.report_build", build)
    user = staff(client, "region_staff", "320500")
    response = client.post(reverse(BUILD), {"report_date": "2026-12-02", "region": "320583", "format": "page"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tracker_tierreport_change", args=[report.pk])
    assert calls == [{"report_date": dt.date(2026, 12, 2), "region_code": "320583", "user": user}]


def test_building_can_answer_with_the_xlsx(client, regions, monkeypatch):
    report = stored()
    monkeypatch.setattr("tracker.admin.report_build.report_build", lambda **kwargs: report)
    staff(client, "region_staff", "320500")
    response = client.post(reverse(BUILD), {"report_date": "2026-12-02", "region": "320500", "format": "xlsx"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "变化" in load_workbook(io.BytesIO(response.content)).sheetnames


def test_a_scope_outside_the_office_is_refused_before_the_service(client, regions, monkeypatch):
    monkeypatch.setattr("tracker.admin.report_build.report_build", lambda **kwargs: pytest.fail("built"))
    staff(client, "region_staff", "320500")
    response = client.post(reverse(BUILD), {"report_date": "2026-12-02", "region": "320100", "format": "page"})
    assert response.status_code == 200 and response.context["form"].errors["region"]


def test_a_date_before_any_run_is_a_form_error(client, regions, monkeypatch):
    def build(**kwargs):
        raise NoResults("尚无已完成的全量评价运行。")

    monkeypatch.setattr("tracker.admin.report_build.report_build", build)
    staff(client, "province_staff", "320000")
    response = client.post(reverse(BUILD), {"report_date": "2020-01-01", "region": "320000", "format": "page"})
    assert response.context["form"].errors["report_date"] == ["尚无已完成的全量评价运行。"]


def test_a_reader_may_not_build_and_is_not_offered_to(client, regions):
    staff(client, "read_only", "320500")
    assert client.get(reverse(BUILD)).status_code == 403
    html = client.get(reverse("admin:tracker_tierreport_changelist")).content.decode()
    assert 'id="build-report"' not in html and 'id="my-subscriptions"' in html


def test_a_reader_subscribes_pauses_and_ends_their_own_subscription(client, regions):
    user = staff(client, "read_only", "320500")
    page = client.get(reverse(MINE))
    assert page.status_code == 200 and user.email in page.content.decode()
    client.post(reverse(MINE), {"action": "subscribe", "region": "320583"})
    assert list(ReportSubscription.objects.values_list("user", "region__code", "enabled")) == \
        [(user.pk, "320583", True)]
    client.post(reverse(MINE), {"action": "pause", "region": "320583"})
    assert not ReportSubscription.objects.get().enabled
    client.post(reverse(MINE), {"action": "unsubscribe", "region": "320583"})
    assert not ReportSubscription.objects.exists()


def test_a_reader_cannot_subscribe_to_a_scope_outside_their_office(client, regions):
    staff(client, "read_only", "320500")
    response = client.post(reverse(MINE), {"action": "subscribe", "region": "320100"})
    assert response.status_code == 200 and response.context["form"].errors["region"]
    response = client.post(reverse(MINE), {"action": "pause", "region": "320100"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not ReportSubscription.objects.exists()


def test_the_report_page_subscribes_to_its_own_scope_and_comes_back(client, regions):
    report = stored("320500")
    user = staff(client, "read_only", "320500")
    page = reverse("admin:tracker_tierreport_change", args=[report.pk])
    assert "订阅本范围的夜间报告（邮件）" in client.get(page).content.decode()
    response = client.post(reverse(MINE), {"action": "subscribe", "region": "320500", "next": page})
    assert response["Location"] == page
    assert ReportSubscription.objects.get(user=user).region.code == "320500"
    assert "您已订阅本范围的夜间报告" in client.get(page).content.decode()


def test_a_user_without_email_is_told_they_get_no_mail(client, regions):
    staff(client, "read_only", "320500", email="")
    assert "收不到报告邮件" in client.get(reverse(MINE)).content.decode()


def test_the_province_administrator_subscribes_others_within_their_office(client, regions):
    staff(client, "province_admin", "320000")
    suzhou = UserFactory(username="suzhou")
    role_grant(user=suzhou, role="region_staff", region=regions["320500"])
    add = reverse("admin:tracker_reportsubscription_add")
    refused = client.post(add, {"user": suzhou.pk, "region": "320100", "enabled": "on"})
    assert refused.status_code == 200 and "不能接收该范围的报告" in str(refused.context["adminform"].form.errors)
    assert client.post(add, {"user": suzhou.pk, "region": "320583", "enabled": "on"}).status_code == 302
    subscription = ReportSubscription.objects.get()
    assert (subscription.user, subscription.region.code) == (suzhou, "320583")
    listed = client.get(reverse("admin:tracker_reportsubscription_changelist")).content.decode()
    assert "suzhou@example.cn" in listed
    delete = reverse("admin:tracker_reportsubscription_delete", args=[subscription.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not ReportSubscription.objects.exists()


def test_city_staff_cannot_manage_others_subscriptions(client, regions):
    staff(client, "region_staff", "320500")
    assert client.get(reverse("admin:tracker_reportsubscription_changelist")).status_code == 403
    assert 'id="manage-subscriptions"' not in client.get(reverse(MINE)).content.decode()
