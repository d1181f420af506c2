"""The province's 特色化 points are an attested fact: the service records who set them and when."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import EnterpriseFactory, give_office
from tracker.services.metrics import metrics_create, metrics_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    users = get_user_model().objects
    attester, reviser = users.create_user("attester"), users.create_user("reviser")
    for user in (attester, reviser):
        give_office(user)  # province staff: every region's metrics
    return attester, reviser


def test_setting_the_points_records_the_attester_and_the_time(staff):
    attester, _ = staff
    metrics = metrics_create(user=attester, enterprise=EnterpriseFactory(), fiscal_year=2025, distinctiveness_points=9)
    assert metrics.distinctiveness_attested_by == attester and metrics.distinctiveness_attested_at is not None


def test_changing_the_points_records_the_new_attester_and_other_edits_keep_the_old_one(staff):
    attester, reviser = staff
    metrics = metrics_create(user=attester, enterprise=EnterpriseFactory(), fiscal_year=2025, distinctiveness_points=9)
    metrics_update(metrics=metrics, user=reviser, revenue=1000)
    assert metrics.distinctiveness_attested_by == attester
    metrics_update(metrics=metrics, user=reviser, distinctiveness_points=11)
    assert metrics.distinctiveness_attested_by == reviser


def test_clearing_the_points_clears_the_attestation(staff):
    attester, reviser = staff
    metrics = metrics_create(user=attester, enterprise=EnterpriseFactory(), fiscal_year=2025, distinctiveness_points=9)
    metrics_update(metrics=metrics, user=reviser, distinctiveness_points=None)
    assert (metrics.distinctiveness_attested_by, metrics.distinctiveness_attested_at) == (None, None)


def test_a_year_without_points_has_no_attestation(staff):
    attester, _ = staff
    metrics = metrics_create(user=attester, enterprise=EnterpriseFactory(), fiscal_year=2025, revenue=5)
    assert (metrics.distinctiveness_attested_by, metrics.distinctiveness_attested_at) == (None, None)
