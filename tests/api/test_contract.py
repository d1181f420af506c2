"""The API answers what its schema says (scripts/api_fuzz.sh runs schemathesis over all of it); each case
here is one schemathesis found: a parameter or body the schema forbids was accepted, or an answer had a
shape or content type the schema did not document."""

import pytest
from rest_framework.test import APIClient

from tests.factories import AnnualMetricsFactory, ClusterFactory, DesignationFactory, EnterpriseFactory, TierFactory

pytestmark = pytest.mark.django_db


def schema() -> dict:
    return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


@pytest.mark.parametrize("value", ["null", "0", "-3", "1.5", "abc"])
def test_a_page_size_that_is_not_a_positive_integer_is_a_400_naming_it(staff_client, value):
    response = staff_client.get("/api/v1/regions/", {"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()
    assert staff_client.get("/api/v1/regions/", {"page_size": value, "cursor": ""}).status_code == 400


def test_a_page_size_empty_is_the_default_and_above_the_maximum_is_the_maximum(staff_client, monkeypatch):
    monkeypatch.setattr("api.pagination.StandardPagination.max_page_size", 2)
    for _ in range(3):
        EnterpriseFactory()
    assert len(staff_client.get("/api/v1/enterprises/", {"page_size": ""}).json()["results"]) == 3  # 50
    assert len(staff_client.get("/api/v1/enterprises/", {"page_size": "1"}).json()["results"]) == 1
    assert len(staff_client.get("/api/v1/enterprises/", {"page_size": "999"}).json()["results"]) == 2


@pytest.mark.parametrize("value", ["null", "1", "yes", "unknown"])
def test_a_boolean_filter_takes_true_or_false_only(staff_client, value):
    response = staff_client.get("/api/v1/tiers/", {"per_cluster": value})
    assert response.status_code == 400 and "per_cluster" in response.json()


def test_a_boolean_filter_filters_and_empty_is_no_filter(staff_client):
    TierFactory(code="chain", per_cluster=True)
    TierFactory(code="sme", per_cluster=False)
    codes = lambda params: {t["code"] for t in staff_client.get("/api/v1/tiers/", params).json()["results"]}  # noqa: E731
    assert codes({"per_cluster": "true"}) == {"chain"}
    assert codes({"per_cluster": "False"}) == {"sme"}
    assert codes({"per_cluster": ""}) == {"chain", "sme"}


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/batches/?year=0.5", "year"),
        ("/api/v1/metrics/?fiscal_year=2024.5", "fiscal_year"),
        ("/api/v1/designations/?due_within_days=1.5", "due_within_days"),
    ],
)
def test_a_whole_number_filter_refuses_a_fraction(staff_client, url, field):
    response = staff_client.get(url)
    assert response.status_code == 400 and field in response.json()


def test_an_empty_filter_is_no_filter(staff_client):
    designation = DesignationFactory()
    DesignationFactory()
    for params in ({"valid_until__lte": ""}, {"tier": ""}, {"status": ""}, {"cluster": ""}, {"enterprise_id": ""}):
        assert staff_client.get("/api/v1/designations/", params).json()["count"] == 2, params
    only = {"enterprise_id": ["", str(designation.enterprise_id)]}
    assert staff_client.get("/api/v1/designations/", only).json()["count"] == 1
    assert staff_client.get("/api/v1/enterprises/", {"cluster": "", "tier": "", "region_id": ""}).json()["count"] == 2


def test_an_empty_archived_filter_lists_the_register(staff_client):
    kept, archived = EnterpriseFactory(), EnterpriseFactory()
    archived.archived_at = "2026-01-01T00:00:00+08:00"
    archived.save()
    ids = {e["id"] for e in staff_client.get("/api/v1/enterprises/", {"archived": ""}).json()["results"]}
    assert ids == {kept.pk}


def test_a_nul_in_search_is_a_400_naming_search(staff_client):
    response = staff_client.get("/api/v1/regions/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert "不能包含空字符" in response.json()["search"][0]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_an_unknown_api_url_is_a_json_404_even_with_a_session_cookie(method):
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "not-a-session"
    response = getattr(client, method)("/api/v1/batches/0.5/withdraw/", {}, format="json")
    assert response.status_code == 404  # was CSRF's HTML 403: the catch-all view is not a DRF view
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/api/v1/tiers/", {"code": "t", "name_zh": "层", "track": "growth", "ladder_order": 1, "per_cluster": 0},
         "per_cluster"),
        ("/api/v1/tiers/", {"code": "t", "name_zh": "层", "track": "growth", "ladder_order": 1, "description": 0},
         "description"),
        ("/api/v1/clusters/", {"code": 0, "name_zh": "集群", "group": "international"}, "code"),
        ("/api/v1/clusters/", {"code": "c", "name_zh": "集群", "group": "international", "core_regions": {}},
         "core_regions"),
        ("/api/v1/regions/", {"code": "320999", "name": "某区", "level": "county", "parent": ""}, "parent"),
        ("/api/v1/batches/", {"kind": "new", "tier": 0, "year": 2026, "name": "批"}, "tier"),
        ("/api/v1/metrics/", {"enterprise": "ENTERPRISE", "fiscal_year": 2025}, "enterprise"),
        ("/api/v1/batches/", {"kind": "new", "tier": "0", "year": "2026", "name": "批"}, "year"),
        ("/api/v1/batches/", {"kind": "new", "tier": "0", "year": True, "name": "批"}, "year"),
    ],
)
def test_a_json_body_is_taken_at_its_type(staff_client, url, body, field):
    TierFactory(code="0")  # a tier whose code is "0": the number 0 still does not name it
    if body.get("enterprise") == "ENTERPRISE":
        body = {**body, "enterprise": str(EnterpriseFactory().pk)}  # an id is a number
    response = staff_client.post(url, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()


def test_a_number_is_not_a_string_in_a_batch_step(staff_client):
    TierFactory(code="specialized_sme")
    created = staff_client.post(
        "/api/v1/batches/", {"kind": "new", "tier": "specialized_sme", "year": 2026, "name": "批"}, format="json"
    )
    response = staff_client.post(f"/api/v1/batches/{created.json()['id']}/withdraw/", {"reason": 0}, format="json")
    assert response.status_code == 400 and "reason" in response.json()


def test_an_html_form_keeps_its_readings_of_empty_and_on(staff_client):
    # The browsable API's forms: "" is the empty choice, a checkbox says "on" (not in the schema).
    response = staff_client.post(
        "/api/v1/regions/", {"code": "320999", "name": "某区", "level": "county", "parent": ""}, format="multipart"
    )
    assert response.status_code == 201 and response.json()["parent"] is None


def test_a_patch_of_a_cluster_sends_whole_segments(staff_client):
    cluster = ClusterFactory()
    response = staff_client.patch(
        f"/api/v1/clusters/{cluster.pk}/", {"segments": [{"position": "upstream", "sort_order": 0}]}, format="json"
    )
    assert response.status_code == 400  # was a 500 (KeyError): DRF passed "partial" down to the items
    assert "name" in response.json()["segments"]["0"]


def test_money_is_written_as_a_decimal_string_or_a_number(staff_client):
    enterprise = EnterpriseFactory()
    response = staff_client.post(
        "/api/v1/metrics/", {"enterprise": enterprise.pk, "fiscal_year": 2025, "revenue": 1200.5}, format="json"
    )
    assert response.status_code == 201 and response.json()["revenue"] == "1200.50"
    revenue = schema()["components"]["schemas"]["AnnualMetricsRequest"]["properties"]["revenue"]
    assert {"type": "number"} in revenue["anyOf"]


def test_nullable_answers_are_documented_as_nullable(staff_client):
    components = schema()["components"]["schemas"]
    assert components["AnnualMetrics"]["properties"]["distinctiveness_attested_by"].get("nullable")
    assert components["DesignationBrief"]["properties"]["cluster"].get("nullable")
    metrics = AnnualMetricsFactory()
    assert staff_client.get(f"/api/v1/metrics/{metrics.pk}/").json()["distinctiveness_attested_by"] is None


def test_the_schema_documents_json_bodies_errors_and_versions():
    paths = schema()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            assert set(body) <= {"application/json"}, (method, path)
            assert "414" in operation["responses"], (method, path)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] != "page":
                    assert parameter.get("allowEmptyValue"), (method, path, parameter["name"])
    patch = paths["/api/v1/batches/{id}/"]["patch"]
    assert "If-Match" in {p["name"] for p in patch["parameters"]}
    assert {"412", "428"} <= set(patch["responses"]) and "ETag" in patch["responses"]["200"]["headers"]
    assert "ETag" in paths["/api/v1/metrics/{id}/"]["get"]["responses"]["200"]["headers"]
    assert "If-Match" in {p["name"] for p in paths["/api/v1/enterprises/{id_or_uscc}/restore/"]["post"]["parameters"]}
    candidates = paths["/api/v1/batches/{id}/candidates/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert candidates["schema"]["type"] == "array"  # a whole list, not a page
    bad_request = paths["/api/v1/regions/"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert bad_request == {"$ref": "#/components/schemas/BadRequestResponse"}
    assert "400" in paths["/health/"]["get"]["responses"]
