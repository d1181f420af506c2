"""The tier report in the admin: the report page with its sections and charts, the downloads, the
rebuild action, and the dashboard on the admin home for the reader's own scope."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import UserFactory, give_office, region
from tests.reports.frames import city_frame, province_frame, tiny_frame
from tracker.models import TierReport
from tracker.reports.sections import PAGE_ROWS

pytestmark = pytest.mark.django_db
SECTIONS = ["overview-regions", "overview-clusters", "changes", "near-misses", "coverage", "to-collect", "designations"]


def store(frame, code: str, name: str, **fields) -> TierReport:
    return TierReport.objects.create(report_date=frame.report_date, region=region(code, name),
                                     data_date=frame.data_date, stale=frame.stale, content=frame.to_json(),
                                     built_at=timezone.now(), **fields)


def reader(client, code: str, *perms: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_tierreport", *perms]))
    give_office(user, code)
    client.force_login(user)
    return user


@pytest.fixture
def province_report():
    return store(province_frame(stale=True), "320000", "江苏省")


def test_the_report_page_shows_every_section_with_the_charts(client, province_report):
    reader(client, "320000")
    response = client.get(reverse("admin:tracker_tierreport_change", args=[province_report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    assert html.count("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"") == 3
    assert "江苏省梯度报告" in html and "专精特新“小巨人”企业" in html
    assert "数据来自上一次运行" in html
    assert "南京恒瑞科技有限公司0" in html and "苏工信中小〔2023〕560号" in html
    assert reverse("admin:tracker_tierreport_xlsx", args=[province_report.pk]) in html
    assert "重新生成本报告" not in html  # a reader without add_tierreport


def test_a_long_list_on_the_page_points_to_the_xlsx(client):
    frame = province_frame()
    frame.to_collect = frame.to_collect * 30  # 150 rows, the page shows 100
    report = store(frame, "320000", "江苏省")
    reader(client, "320000")
    html = client.get(reverse("admin:tracker_tierreport_change", args=[report.pk])).content.decode()
    assert "另有 50 家企业未列出，完整名单见 xlsx 文件。" in html


def test_the_page_and_the_home_page_read_the_reports_head_not_the_whole_frame(client):
    frame = province_frame()
    frame.to_collect = frame.to_collect * 30  # 150 rows, the page shows 100
    report = store(frame, "320000", "江苏省", head=frame.head(PAGE_ROWS).to_json())
    TierReport.objects.filter(pk=report.pk).update(content={})  # a page that read the whole frame would fail
    reader(client, "320000")
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("admin:tracker_tierreport_change", args=[report.pk])).content.decode()
        home = client.get(reverse("admin:index")).content.decode()
    assert "另有 50 家企业未列出，完整名单见 xlsx 文件。" in html and 'id="near-misses"' in html
    assert "江苏省梯度报告 · 2026-12-02" in home
    assert not [q for q in queries.captured_queries if '"tracker_tierreport"."content"' in q["sql"]]


def test_the_changelist_lists_reports_with_their_downloads(client, province_report):
    reader(client, "320000")
    response = client.get(reverse("admin:tracker_tierreport_changelist"))
    assert response.status_code == 200
    assert reverse("admin:tracker_tierreport_pdf", args=[province_report.pk]) in response.content.decode()


def test_the_xlsx_download_is_the_workbook(client, province_report):
    reader(client, "320000")
    response = client.get(reverse("admin:tracker_tierreport_xlsx", args=[province_report.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "总览-地区" in load_workbook(io.BytesIO(response.content)).sheetnames


def test_the_rebuild_action_calls_the_service(client, province_report, monkeypatch):
    calls = []
    monkeypatch.setattr("tracker.admin.reports.report_build", lambda **kwargs: calls.append(kwargs))
    user = reader(client, "320000", "add_tierreport")
    response = client.post(reverse("admin:tracker_tierreport_changelist"),
                           {"action": "rebuild_selected", "_selected_action": [province_report.pk]})
    assert response.status_code == 302
    assert calls == [{"report_date": dt.date(2026, 12, 2), "region_code": "320000", "user": user}]


def test_a_rebuild_without_results_is_a_message(client, province_report):
    reader(client, "320000", "add_tierreport")
    response = client.post(reverse("admin:tracker_tierreport_changelist"),
                           {"action": "rebuild_selected", "_selected_action": [province_report.pk]}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_the_home_page_shows_the_province_its_report(client, province_report):
    store(city_frame(), "320500", "苏州市")
    reader(client, "320000")
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="report-dashboard"' in html
    assert "江苏省梯度报告 · 2026-12-02" in html
    assert html.count("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"") == 2  # the pyramid and the change; the trend is on the report page


def test_the_home_page_shows_a_city_its_own_report(client, province_report):
    store(tiny_frame("320500", "苏州市"), "320500", "苏州市")
    reader(client, "320500")
    html = client.get(reverse("admin:index")).content.decode()
    assert "苏州市梯度报告 · 2026-12-02" in html
    assert "江苏省梯度报告" not in html


def test_the_home_page_says_when_there_is_no_report_yet(client):
    reader(client, "320500")
    assert "暂无报告：夜间评价完成后自动生成。" in client.get(reverse("admin:index")).content.decode()


def test_the_home_page_of_someone_who_may_not_read_reports_has_no_dashboard(client, province_report):
    user = UserFactory(is_staff=True)
    give_office(user, "320000")
    client.force_login(user)
    assert 'id="report-dashboard"' not in client.get(reverse("admin:index")).content.decode()
