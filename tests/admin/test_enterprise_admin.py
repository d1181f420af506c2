from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ClusterFactory, EnterpriseFactory, RegionFactory, make_uscc
from tracker.models import Enterprise

ADD_URL = "admin:tracker_enterprise_add"


def enterprise_post(region, uscc, **extra):
    data = {
        "name": "苏州新测试科技有限公司",
        "uscc": uscc,
        "region": region.pk,
        "sector": "industry",
        "listed": "",
        "founded_on": "2015-03-01",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "metrics-TOTAL_FORMS": "0",
        "metrics-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def with_bad_check_digit(code: str) -> str:
    wrong = "0" if code[-1] != "0" else "1"
    return code[:-1] + wrong


def test_it_rejects_a_bad_check_digit_on_the_uscc_field(admin_client, db):
    region = RegionFactory()
    response = admin_client.post(reverse(ADD_URL), enterprise_post(region, with_bad_check_digit(make_uscc())))
    assert response.status_code == 200
    assert "uscc" in response.context["adminform"].form.errors
    assert "校验位不正确" in response.context["adminform"].form.errors["uscc"][0]
    assert not Enterprise.objects.exists()


def test_it_creates_an_enterprise_with_memberships_through_the_service(admin_client, db):
    region, cluster = RegionFactory(), ClusterFactory()
    code = make_uscc()
    data = enterprise_post(
        region, code.lower(), **{"memberships-TOTAL_FORMS": "1", "memberships-0-cluster": cluster.pk}
    )
    response = admin_client.post(reverse(ADD_URL), data)
    assert response.status_code == 302
    enterprise = Enterprise.objects.get()
    assert enterprise.uscc == code  # normalised by uscc_check
    assert list(enterprise.clusters.all()) == [cluster]
    assert enterprise.history.first().history_user.username == "admin"


def test_it_adds_a_metrics_year_inline(admin_client, world):
    enterprise = world["enterprise"]
    url = reverse("admin:tracker_enterprise_change", args=[enterprise.pk])
    page = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in page.initial.items() if value is not None}
    data.update(
        {
            "region": enterprise.region_id,
            "founded_on": "2012-05-01",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": enterprise.memberships.get().pk,
            "memberships-0-enterprise": enterprise.pk,
            "memberships-0-cluster": world["cluster"].pk,
            "metrics-TOTAL_FORMS": "2",
            "metrics-INITIAL_FORMS": "1",
            "metrics-0-id": world["metrics"].pk,
            "metrics-0-enterprise": enterprise.pk,
            "metrics-0-fiscal_year": "2025",
            "metrics-0-revenue": "6000",  # 万元, as the form's label says
            "metrics-1-enterprise": enterprise.pk,
            "metrics-1-fiscal_year": "2024",
            "metrics-1-revenue": "4000",
        }
    )
    data.pop("created_at", None)
    data.pop("updated_at", None)
    data = {k: ("" if v is False else v) for k, v in data.items()}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    revenues = dict(enterprise.metrics.values_list("fiscal_year", "revenue"))
    assert revenues == {2025: 60_000_000, 2024: 40_000_000}


def test_a_staff_user_without_the_override_permission_does_not_see_the_override_field(staff_client, world):
    response = staff_client.get(reverse("admin:tracker_enterprise_change", args=[world["enterprise"].pk]))
    assert "uscc_check_override" not in response.context["adminform"].form.fields
    assert "校验位例外说明" not in response.content.decode()


def test_a_staff_user_cannot_post_an_override(staff_client, db):
    region = RegionFactory()
    data = enterprise_post(region, with_bad_check_digit(make_uscc()), uscc_check_override="早期试点代码")
    response = staff_client.post(reverse(ADD_URL), data)
    assert response.status_code == 200
    assert "uscc" in response.context["adminform"].form.errors
    assert not Enterprise.objects.exists()


def test_a_superuser_can_save_a_bad_check_digit_with_a_reason(admin_client, db):
    region = RegionFactory()
    data = enterprise_post(region, with_bad_check_digit(make_uscc()), uscc_check_override="早期试点代码")
    response = admin_client.post(reverse(ADD_URL), data)
    assert response.status_code == 302
    assert Enterprise.objects.get().uscc_check_override == "早期试点代码"


def test_it_shows_a_missing_boolean_as_a_dash(admin_client, world):
    response = admin_client.get(reverse("admin:tracker_annualmetrics_changelist"))
    assert '<td class="field-high_tech_certified_display">—</td>' in response.content.decode()


def test_it_shows_amounts_in_wan_and_ratios_in_percent(admin_client, world):
    content = admin_client.get(reverse("admin:tracker_annualmetrics_changelist")).content.decode()
    assert "5,000.00 万元" in content  # revenue 50,000,000 yuan
    assert "12.50%" in content  # niche market share 0.125
    assert "5.00%" in content  # R&D ratio 2.5m / 50m


def test_it_finds_an_enterprise_by_uscc_prefix(admin_client, world):
    enterprise = world["enterprise"]
    other = EnterpriseFactory(region=RegionFactory(code="320100", name="南京市"))
    response = admin_client.get(reverse("admin:tracker_enterprise_changelist"), {"q": enterprise.uscc[:10].lower()})
    assert list(response.context["cl"].result_list) == [enterprise]
    assert other.name not in response.content.decode()


def changelist_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("admin:tracker_enterprise_changelist")).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_the_changelist_query_count_does_not_grow_with_the_table(admin_client, db):
    region = RegionFactory()
    EnterpriseFactory.create_batch(5, region=region)
    few = changelist_queries(admin_client)
    EnterpriseFactory.create_batch(45, region=region)
    many = changelist_queries(admin_client)
    assert len(few) == len(many)


def test_the_changelist_runs_no_second_full_count(admin_client, db):
    EnterpriseFactory.create_batch(3)
    counts = [sql for sql in changelist_queries(admin_client) if "COUNT(" in sql.upper()]
    # Only the paginator's own count (estimated on PostgreSQL); show_full_result_count is off.
    assert len(counts) <= 1


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "企业"), ("en", "Enterprise")])
def test_the_admin_speaks_the_requested_language(admin_client, db, language, label):
    response = admin_client.get(reverse("admin:tracker_enterprise_changelist"), HTTP_ACCEPT_LANGUAGE=language)
    assert label in response.content.decode()


def test_the_english_index_shows_english_model_names(admin_client, db):
    content = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Enterprises" in content or "Enterprise" in content
    assert "企业" not in content


def test_money_is_entered_in_wan_yuan_and_stored_in_yuan(admin_client, world):
    metrics = world["metrics"]
    metrics.revenue = Decimal("123456789.12")
    metrics.save()
    url = reverse("admin:tracker_annualmetrics_change", args=[metrics.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    assert form.fields["revenue"].label == "营业收入（万元）"
    assert form["revenue"].value() == "12345.678912"  # exactly the stored yuan, in 万元
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    data["rd_expense"] = "250.5"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    metrics.refresh_from_db()
    assert metrics.rd_expense == Decimal("2505000.00")
    assert metrics.revenue == Decimal("123456789.12")  # saved unchanged: not rounded to 万元
