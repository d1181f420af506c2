import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_as_openapi_3():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_every_operation_documents_its_error_responses():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            assert {"400", "401", "403", "404"} <= set(operation["responses"]), (method, path)


def test_the_enterprise_lookup_is_documented_as_id_or_uscc():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    parameter = schema["paths"]["/api/v1/enterprises/{id_or_uscc}/"]["get"]["parameters"][0]
    assert parameter["name"] == "id_or_uscc"
    assert "18" in parameter["schema"]["pattern"]


def test_swagger_ui_is_served_without_external_hosts(static_storage):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode().lower()
    assert "swagger-ui" in html
    for host in ("cdn", "jsdelivr", "googleapis", "unpkg", "https://"):
        assert host not in html

