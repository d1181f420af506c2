"""The admin offers no archived enterprise for a new designation or year of metrics, and shows a recorded
year's enterprise and fiscal year read-only (services/common.py, services/metrics.py)."""

import pytest
from django.test import Client

from tests.factories import AnnualMetricsFactory, EnterpriseFactory, TierFactory
from tracker.models import AnnualMetrics, Designation
from tracker.services.enterprise_archive import enterprise_archive

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model_name", ["designation", "annualmetrics"])
def test_the_enterprise_autocomplete_leaves_archived_ones_out(client, staff_user, model_name):
    kept = EnterpriseFactory(name="恒达在册有限公司")
    gone = enterprise_archive(enterprise=EnterpriseFactory(name="恒达归档有限公司"), user=staff_user)
    answer = client.get(
        "/admin/autocomplete/",
        {"app_label": "tracker", "model_name": model_name, "field_name": "enterprise", "term": "恒达"},
    )
    assert answer.status_code == 200
    ids = {int(row["id"]) for row in answer.json()["results"]}
    assert ids == {kept.pk} and gone.pk not in ids
    # The enterprise list itself still finds it (filtered by 归档状态).
    assert "恒达归档有限公司" in client.get("/admin/tracker/enterprise/", {"q": "恒达", "archived": "true"}).content.decode()


def test_a_new_designation_of_an_archived_enterprise_is_a_field_error(client, staff_user):
    gone = enterprise_archive(enterprise=EnterpriseFactory(), user=staff_user)
    tier = TierFactory()
    page = client.post(
        "/admin/tracker/designation/add/",
        {"enterprise": gone.pk, "tier": tier.code, "status": "candidate", "batch": "", "document_no": "", "note": ""},
    )
    assert page.status_code == 200
    assert "已归档" in str(page.context["adminform"].form.errors["enterprise"])
    assert not Designation.objects.exists()


def test_a_new_year_of_an_archived_enterprise_is_a_field_error(client, staff_user):
    gone = enterprise_archive(enterprise=EnterpriseFactory(), user=staff_user)
    page = client.post("/admin/tracker/annualmetrics/add/", {"enterprise": gone.pk, "fiscal_year": 2025, "source": "manual"})
    assert page.status_code == 200
    assert "已归档" in str(page.context["adminform"].form.errors["enterprise"])
    assert not AnnualMetrics.objects.exists()


def test_an_archived_enterprise_page_offers_no_new_year(client, staff_user):
    def metrics_inline(enterprise):
        page = client.get(f"/admin/tracker/enterprise/{enterprise.pk}/change/")
        return next(i for i in page.context["inline_admin_formsets"] if i.formset.model is AnnualMetrics)

    kept = AnnualMetricsFactory().enterprise
    assert metrics_inline(kept).has_add_permission
    gone = enterprise_archive(enterprise=AnnualMetricsFactory().enterprise, user=staff_user)
    inline = metrics_inline(gone)
    assert not inline.has_add_permission and len(inline.formset.forms) == 1  # its stored year stays


def test_a_recorded_year_shows_its_enterprise_and_year_read_only(client):
    metrics = AnnualMetricsFactory()
    page = client.get(f"/admin/tracker/annualmetrics/{metrics.pk}/change/").content.decode()
    assert 'name="enterprise"' not in page and 'name="fiscal_year"' not in page and 'name="base_version"' in page


def test_the_enterprise_page_keeps_a_stored_year_s_fiscal_year(client):
    metrics = AnnualMetricsFactory(fiscal_year=2025)
    page = client.get(f"/admin/tracker/enterprise/{metrics.enterprise_id}/change/")
    inline = next(i for i in page.context["inline_admin_formsets"] if i.formset.model is AnnualMetrics)
    form = inline.formset.forms[0]
    assert form.fields["fiscal_year"].disabled
