"""Scoping a city user's admin changelist costs nothing per row."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.access.conftest import DEFINITION
from tests.access.test_query_counts import VIEW
from tests.api.conftest import user_with_perms
from tests.factories import AnnualMetricsFactory, DesignationFactory, EnterpriseFactory, TierFactory, region
from tracker.models import EligibilityResult, Ruleset

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["enterprise", "annualmetrics", "designation", "eligibilityresult"])
def test_a_city_users_changelist_costs_the_same_for_few_or_many_rows(db, model):
    tier = TierFactory()
    ruleset = Ruleset.objects.create(tier=tier, version="T", effective_from="2020-01-01", status="active",
                                     reference="t", definition=DEFINITION)
    user = user_with_perms(*VIEW, region="320100")
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    url = reverse(f"admin:tracker_{model}_changelist")

    def add(n):
        for enterprise in EnterpriseFactory.create_batch(n, region=region("320102")):
            AnnualMetricsFactory(enterprise=enterprise)
            DesignationFactory(enterprise=enterprise, tier=tier, status="active")
            EligibilityResult.objects.create(enterprise=enterprise, tier=tier, fiscal_year=2025, status="eligible",
                                             ruleset=ruleset, input_hash=0, evaluated_at=timezone.now())

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    add(3)
    count()
    few = count()
    add(27)
    assert count() == few
