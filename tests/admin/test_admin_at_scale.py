"""The admin's changelists at a million rows: searches by a fragment of a name through the name's
indexes, no DISTINCT, a count that reads at most the cap, a bounded number of queries per page
(figures: docs/benchmarks.md, "Reads at 1M")."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import DEFINITION
from tests.factories import AnnualMetricsFactory, DesignationFactory, EnterpriseFactory, TierFactory
from tracker.models import EligibilityResult, Ruleset
from tracker.selectors import counts

pytestmark = pytest.mark.django_db

PAGES = ["enterprise", "annualmetrics", "designation", "eligibilityresult"]


@pytest.fixture
def staff(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def rows(db):
    tier = TierFactory()
    ruleset = Ruleset.objects.create(tier=tier, version="T", effective_from="2020-01-01", status="active",
                                     reference="t", definition=DEFINITION)
    target = None
    for n in range(8):
        enterprise = EnterpriseFactory(name="苏州恒达精密有限公司" if n == 3 else f"无锡测试科技有限公司{n}")
        target = enterprise if n == 3 else target
        AnnualMetricsFactory(enterprise=enterprise, fiscal_year=2025)
        DesignationFactory(enterprise=enterprise, tier=tier, status="active")
        EligibilityResult.objects.create(enterprise=enterprise, tier=tier, fiscal_year=2025, status="eligible",
                                         ruleset=ruleset, input_hash=0, evaluated_at=timezone.now())
    return target


def page(client, model, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:tracker_{model}_changelist"), params)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("model", PAGES)
def test_a_two_character_search_finds_the_name_without_distinct(staff, rows, model):
    response, sql = page(staff, model, q="恒达")
    assert response.context["cl"].result_count == 1
    assert not [q for q in sql if re.search(r"\bDISTINCT\b", q, re.IGNORECASE)]
    if connection.vendor == "postgresql":
        assert any("tidu_name_bigrams" in q for q in sql)
    assert len(sql) <= 20, "\n".join(sql)


@pytest.mark.parametrize("model", PAGES)
def test_past_the_cap_a_changelist_counts_no_further(staff, rows, model, monkeypatch):
    monkeypatch.setattr(counts, "COUNT_CAP", 3)
    response, sql = page(staff, model, q="无锡")
    counted = [q for q in sql if "COUNT(" in q.upper() and "django_session" not in q]
    if connection.vendor == "postgresql":
        assert counted and all("LIMIT 4" in q for q in counted), counted
        assert response.context["cl"].result_count >= 4
    else:
        assert response.context["cl"].result_count == 7
