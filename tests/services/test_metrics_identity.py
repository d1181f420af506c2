"""A year of metrics is one enterprise's figures for one fiscal year: neither the enterprise nor the
year of a recorded row changes (services/metrics.py), by any door; a wrong one is deleted and entered
again, as a designation recorded for the wrong enterprise is."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import AnnualMetricsFactory, EnterpriseFactory
from tracker.services.metrics import metrics_update

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["enterprise", "fiscal_year"])
def test_the_enterprise_and_the_year_do_not_change(staff_user, field):
    metrics = AnnualMetricsFactory(fiscal_year=2025)
    other = {"enterprise": EnterpriseFactory(), "fiscal_year": 2024}[field]
    with pytest.raises(ValidationError) as refused:
        metrics_update(metrics=metrics, user=staff_user, revenue=1, **{field: other})
    assert list(refused.value.message_dict) == [field]
    metrics.refresh_from_db()
    assert (metrics.fiscal_year, metrics.revenue, metrics.version) == (2025, 50_000_000, 1)
    assert metrics.history.count() == 1


def test_the_same_enterprise_and_year_sent_back_are_no_change(staff_user):
    metrics = AnnualMetricsFactory(fiscal_year=2025)
    saved = metrics_update(
        metrics=metrics, user=staff_user, enterprise=metrics.enterprise, fiscal_year=2025, employees=70
    )
    assert (saved.enterprise_id, saved.fiscal_year, saved.employees, saved.version) == (
        metrics.enterprise_id, 2025, 70, 2
    )
    by_id = metrics_update(metrics=saved, user=staff_user, enterprise=metrics.enterprise_id, employees=80)
    assert by_id.employees == 80
