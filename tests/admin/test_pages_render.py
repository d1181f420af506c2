import pytest
from django.urls import reverse

MODELS = ["region", "cluster", "tier", "enterprise", "annualmetrics", "designation", "ruleset", "nationalrecognition"]
OBJECTS = {
    "region": "region",
    "cluster": "cluster",
    "tier": "tier",
    "enterprise": "enterprise",
    "annualmetrics": "metrics",
    "designation": "designation",
    "ruleset": "ruleset",
}


@pytest.fixture(params=["admin_client", "staff_client"])
def client_for(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("model", MODELS)
def test_it_renders_the_changelist(client_for, world, model):
    response = client_for.get(reverse(f"admin:tracker_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_it_renders_the_add_page(client_for, world, model):
    response = client_for.get(reverse(f"admin:tracker_{model}_add"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", OBJECTS)
def test_it_renders_the_change_page(client_for, world, model):
    obj = world[OBJECTS[model]]
    response = client_for.get(reverse(f"admin:tracker_{model}_change", args=[obj.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["enterprise", "annualmetrics", "designation", "ruleset"])
def test_it_renders_the_history_page(client_for, world, model):
    obj = world[OBJECTS[model]]
    response = client_for.get(reverse(f"admin:tracker_{model}_history", args=[obj.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    ["region=320500", "cluster={cluster}", "designated={tier}", "sector=industry", "listed__exact=0", "q=苏州", "q=9132"],
)
def test_it_filters_and_searches_enterprises(admin_client, world, query):
    query = query.format(cluster=world["cluster"].pk, tier=world["tier"].pk)
    response = admin_client.get(reverse("admin:tracker_enterprise_changelist") + "?" + query)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query", ["tier=specialized_sme", "status__exact=candidate", "due=soon", "due=past", "cluster=1"]
)
def test_it_filters_designations(admin_client, world, query):
    response = admin_client.get(reverse("admin:tracker_designation_changelist") + "?" + query)
    assert response.status_code == 200


def test_it_filters_metrics_by_fiscal_year(admin_client, world):
    url = reverse("admin:tracker_annualmetrics_changelist")
    assert world["enterprise"].name in admin_client.get(url + "?fiscal_year=2025").content.decode()
    assert world["enterprise"].name not in admin_client.get(url + "?fiscal_year=2024").content.decode()
