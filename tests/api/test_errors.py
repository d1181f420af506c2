"""Bad input is a 4xx with a message that says what is wrong, in the API's error shape — never a 500.

Each case here answered 500 (or HTML, or a misleading message) in an outside test of the API.
"""

import json

import pytest

from tests.factories import AnnualMetricsFactory, EnterpriseFactory
from tracker.models import AnnualMetrics, Designation, Enterprise

pytestmark = pytest.mark.django_db

NUL = "不能包含空字符"


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/enterprises/?tier=%00", "tier"),
        ("/api/v1/enterprises/?region=%00", "region"),
        ("/api/v1/enterprises/?cluster=%00", "cluster"),
        ("/api/v1/clusters/?code=%00", "code"),
        ("/api/v1/designations/?enterprise=%00", "enterprise"),
        ("/api/v1/designations/?tier=%00", "tier"),
        ("/api/v1/metrics/?enterprise=%00", "enterprise"),
        ("/api/v1/results/?enterprise=%00", "enterprise"),
        ("/api/v1/gaps/?cluster=%00", "cluster"),
    ],
)
def test_a_nul_in_a_code_filter_is_a_400_that_says_nul(staff_client, url, field):
    response = staff_client.get(url)
    assert response.status_code == 400
    assert NUL in response.json()[field][0]
    assert "空字符串" not in response.json()[field][0]  # Django's catalogue called it "an empty string"


@pytest.mark.parametrize("url", ["/api/v1/tiers/%00/", "/api/v1/enterprises/%00/", "/api/v1/regions/%00/"])
def test_a_nul_in_a_path_is_a_json_404(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "key",
    [
        "９１320500MA1XXXXXX0",  # full-width digits
        "٩١320500MA1XXXXXX0",  # Arabic-Indic digits
        "²",  # str.isdigit() is True for a superscript two
        "4²",
    ],
)
def test_a_key_that_is_neither_id_nor_ascii_uscc_is_refused_with_the_reason(staff_client, key):
    EnterpriseFactory()
    for url in (f"/api/v1/enterprises/{key}/", f"/api/v1/enterprises/{key}/results/"):
        response = staff_client.get(url)
        assert response.status_code == 404, url
        assert "半角" in response.json()["detail"]
    response = staff_client.get("/api/v1/results/", {"enterprise": key})
    assert response.status_code == 400
    assert "半角" in response.json()["enterprise"][0]
    response = staff_client.get("/api/v1/designations/", {"enterprise": key})
    assert response.status_code == 400


def test_a_nul_in_a_written_code_is_a_400_naming_the_field(staff_client):
    body = {"enterprise": EnterpriseFactory().pk, "tier": "\x00", "recognized_on": "2025-01-01"}
    response = staff_client.post("/api/v1/designations/", body, format="json")
    assert response.status_code == 400
    assert NUL in response.json()["tier"][0]
    response = staff_client.post("/api/v1/batches/", {"tier": "\x00"}, format="json")
    assert response.status_code == 400
    assert NUL in response.json()["tier"][0]
    assert not Designation.objects.exists()


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_json_nested_a_thousand_levels_deep_is_a_400(staff_client, opening, closing):
    body = opening * 1000 + "1" + closing * 1000
    for url in ("/api/v1/enterprises/", "/api/v1/eligibility/simulate/"):
        response = staff_client.post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert "嵌套层数过多" in response.json()["detail"]


def test_a_body_that_is_not_json_is_a_400_in_chinese_with_the_position(staff_client):
    response = staff_client.post("/api/v1/enterprises/", "{bad", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "请求体不是有效的 JSON：第 1 行第 2 列附近有语法错误。"}


def test_a_body_over_the_upload_limit_is_a_json_413(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000})
    response = staff_client.post("/api/v1/enterprises/", body, content_type="application/json")
    assert response.status_code == 413
    assert "请求体过大" in response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/nothing/", "/api/v1/nothing/", "/api/v1/enterprises/1/nothing/"])
def test_an_unknown_api_url_is_a_json_404(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert url in response.json()["detail"]


def test_a_url_missing_its_final_slash_is_still_redirected(staff_client):
    response = staff_client.get("/api/v1/enterprises?page=2")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/enterprises/?page=2"
    response = staff_client.post("/api/v1/enterprises", {}, format="json")
    assert response.status_code == 404
    assert "/api/v1/enterprises/" in response.json()["detail"]


def test_options_on_the_docs_is_not_a_500(client):
    response = client.options("/api/docs/")
    assert response.status_code == 204
    assert "GET" in response["Allow"]


def test_an_unknown_field_in_a_write_is_a_400_naming_it_and_nothing_is_stored(staff_client):
    metrics = AnnualMetricsFactory(niche_market_share=None)
    response = staff_client.patch(f"/api/v1/metrics/{metrics.pk}/", {"niche_snce": "0.2"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["niche_snce"]
    body = {"name": "甲", "uscc": "x", "regon": "3201"}
    response = staff_client.post("/api/v1/enterprises/", body, format="json")
    assert "regon" in response.json()
    assert not Enterprise.objects.filter(name="甲").exists()


def test_fields_of_the_resource_sent_back_read_only_are_not_unknown(staff_client):
    metrics = AnnualMetricsFactory()
    body = staff_client.get(f"/api/v1/metrics/{metrics.pk}/").json()
    response = staff_client.put(f"/api/v1/metrics/{metrics.pk}/", body, format="json")
    assert response.status_code == 200, response.json()


def test_a_date_that_does_not_exist_is_named_as_such(staff_client):
    body = {"enterprise": EnterpriseFactory().pk, "tier": "little_giant", "recognized_on": "2026-02-30"}
    response = staff_client.post("/api/v1/designations/", body, format="json")
    assert response.status_code == 400
    assert response.json()["recognized_on"] == ["“2026-02-30”格式正确，但日历上没有这一天（不存在的日期）。"]
    response = staff_client.post("/api/v1/eligibility/simulate/", {"as_of": "2026-13-01"}, format="json")
    assert "日历上没有这一天" in response.json()["as_of"][0]


def test_a_duplicate_metrics_year_names_the_enterprise_and_year(staff_client):
    existing = AnnualMetricsFactory(fiscal_year=2025)
    response = staff_client.post(
        "/api/v1/metrics/", {"enterprise": existing.enterprise_id, "fiscal_year": 2025}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["fiscal_year"][0]
    assert existing.enterprise.uscc in message and "2025" in message and str(existing.pk) in message
    assert AnnualMetrics.objects.count() == 1


@pytest.mark.parametrize("url", ["/admin/login/", "/api/docs/"])
def test_pages_are_served_when_static_files_were_never_collected(client, settings, tmp_path, url):
    # DEBUG off with the production storage and an empty STATIC_ROOT: this was a 500 (no manifest).
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "config.static.ManifestStaticFilesStorage"}}
    response = client.get(url)
    assert response.status_code == 200
