import pytest

from tests.api.base import ResourceTests
from tests.factories import AnnualMetricsFactory, EnterpriseFactory
from tracker.models import AnnualMetrics

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/"


class TestAnnualMetricsAPI(ResourceTests):
    basename = "annualmetrics"
    model = AnnualMetrics
    audited = True
    update_data = {"revenue": "61000000.00", "niche_market_share": "0.125000"}

    def make_object(self):
        return AnnualMetricsFactory()

    def create_data(self):
        return {
            "enterprise": EnterpriseFactory().pk,
            "fiscal_year": 2024,
            "revenue": "52000000.50",
            "rd_expense": "2600000.00",
            "employees": 100,
            "rd_staff": 25,
        }

    def put_data(self, obj):
        # A row keeps its enterprise and year (services/metrics.py): a PUT sends them back unchanged.
        return {**super().put_data(obj), "enterprise": obj.enterprise_id, "fiscal_year": obj.fiscal_year}


def test_money_is_an_exact_decimal_string(staff_client):
    metrics = AnnualMetricsFactory(revenue="123456789012.34")
    body = staff_client.get(f"{URL}{metrics.pk}/").json()
    assert body["revenue"] == "123456789012.34"
    assert body["enterprise_uscc"] == metrics.enterprise.uscc


def test_more_rd_staff_than_employees_is_a_400_naming_rd_staff(staff_client):
    data = {"enterprise": EnterpriseFactory().pk, "fiscal_year": 2025, "employees": 10, "rd_staff": 11}
    response = staff_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert "rd_staff" in response.json()
    assert not AnnualMetrics.objects.exists()


def test_a_second_row_for_the_same_enterprise_and_year_is_a_400(staff_client):
    existing = AnnualMetricsFactory(fiscal_year=2025)
    response = staff_client.post(URL, {"enterprise": existing.enterprise_id, "fiscal_year": 2025}, format="json")
    assert response.status_code == 400
    assert AnnualMetrics.objects.count() == 1


def test_a_ratio_above_one_is_a_400(staff_client):
    data = {"enterprise": EnterpriseFactory().pk, "fiscal_year": 2025, "niche_market_share": "1.2"}
    response = staff_client.post(URL, data, format="json")
    assert response.status_code == 400
    assert "niche_market_share" in response.json()


def test_negative_revenue_is_a_400(staff_client):
    response = staff_client.post(
        URL, {"enterprise": EnterpriseFactory().pk, "fiscal_year": 2025, "revenue": "-1.00"}, format="json"
    )
    assert response.status_code == 400
    assert "revenue" in response.json()


def test_a_failed_update_changes_nothing(staff_client):
    metrics = AnnualMetricsFactory(employees=100, rd_staff=10)
    response = staff_client.patch(f"{URL}{metrics.pk}/", {"employees": 5, "revenue": "1.00"}, format="json")
    assert response.status_code == 400
    metrics.refresh_from_db()
    assert (metrics.employees, metrics.revenue) == (100, 50_000_000)


def test_metrics_filter_by_enterprise_id_and_uscc(staff_client):
    mine = AnnualMetricsFactory()
    AnnualMetricsFactory()
    for params in ({"enterprise_id": mine.enterprise_id}, {"enterprise": mine.enterprise.uscc}):
        results = staff_client.get(URL, params).json()["results"]
        assert [row["id"] for row in results] == [mine.pk], params


def test_metrics_filter_by_fiscal_year_range(staff_client):
    enterprise = EnterpriseFactory()
    for year in (2021, 2022, 2023, 2024):
        AnnualMetricsFactory(enterprise=enterprise, fiscal_year=year)

    def years(params):
        return sorted(row["fiscal_year"] for row in staff_client.get(URL, params).json()["results"])

    assert years({"fiscal_year": 2022}) == [2022]
    assert years({"fiscal_year__gte": 2022, "fiscal_year__lte": 2023}) == [2022, 2023]


def test_distinctiveness_points_are_attested_by_whoever_writes_them(staff_client, staff_user):
    data = {"enterprise": EnterpriseFactory().pk, "fiscal_year": 2025, "distinctiveness_points": "12.50"}
    created = staff_client.post(URL, data, format="json").json()
    assert created["distinctiveness_points"] == "12.50"
    assert created["distinctiveness_attested_by"] == staff_user.pk and created["distinctiveness_attested_at"]


def test_the_attestation_cannot_be_written_directly(staff_client, staff_user):
    other = EnterpriseFactory()
    data = {"enterprise": other.pk, "fiscal_year": 2025, "distinctiveness_attested_by": 999999}
    created = staff_client.post(URL, data, format="json").json()
    assert created["distinctiveness_points"] is None and created["distinctiveness_attested_by"] is None


@pytest.mark.parametrize("points", ["-0.5", "15.01"])
def test_distinctiveness_points_outside_0_to_15_are_a_400(staff_client, points):
    data = {"enterprise": EnterpriseFactory().pk, "fiscal_year": 2025, "distinctiveness_points": points}
    response = staff_client.post(URL, data, format="json")
    assert response.status_code == 400 and "distinctiveness_points" in response.json()


@pytest.mark.parametrize("field", ["enterprise", "fiscal_year"])
def test_a_row_keeps_its_enterprise_and_year(staff_client, field):
    metrics = AnnualMetricsFactory(fiscal_year=2025)
    other = {"enterprise": EnterpriseFactory().pk, "fiscal_year": 2024}[field]
    response = staff_client.patch(f"{URL}{metrics.pk}/", {field: other, "employees": 99}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field] and "不能更改" in response.json()[field][0]
    metrics.refresh_from_db()
    assert (metrics.enterprise_id, metrics.fiscal_year, metrics.employees) == (metrics.enterprise_id, 2025, 120)
    assert metrics.version == 1
