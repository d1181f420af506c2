"""An archived enterprise (services/enterprise_archive.py) takes no new records: no designation, year of
metrics, batch candidate or change of cluster membership until it is restored. What it already has
stays editable: it is the record of what the enterprise was, and a designation may still have to move
along its lifecycle (revoked, say)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import AnnualMetricsFactory, ClusterFactory, DesignationFactory, EnterpriseFactory, TierFactory
from tests.test_batches import result
from tracker.models import AnnualMetrics, ClusterMembership, Designation
from tracker.services import batches
from tracker.services.designations import designation_create, designation_update
from tracker.services.enterprise_archive import enterprise_archive, enterprise_restore
from tracker.services.enterprises import enterprise_update
from tracker.services.metrics import metrics_create, metrics_update

pytestmark = pytest.mark.django_db

ARCHIVED = "已归档"


@pytest.fixture
def archived(staff_user):
    enterprise = EnterpriseFactory()
    return enterprise_archive(enterprise=enterprise, user=staff_user)


def test_no_new_designation(archived, staff_user):
    with pytest.raises(ValidationError) as refused:
        designation_create(user=staff_user, enterprise=archived, tier=TierFactory(), status="candidate")
    assert ARCHIVED in refused.value.message_dict["enterprise"][0] and archived.name in str(refused.value)
    assert not Designation.objects.exists()


def test_no_new_year_of_metrics(archived, staff_user):
    with pytest.raises(ValidationError) as refused:
        metrics_create(user=staff_user, enterprise=archived, fiscal_year=2025, revenue=1)
    assert ARCHIVED in refused.value.message_dict["enterprise"][0]
    assert not AnnualMetrics.objects.exists()


def test_no_batch_candidate(archived, staff_user):
    tier = TierFactory()
    result(archived, tier, "eligible")
    eligible = EnterpriseFactory()
    result(eligible, tier, "eligible")
    batch = batches.batch_create(user=staff_user, tier=tier, year=2026, name="2026年第一批")
    with pytest.raises(ValidationError) as refused:
        batches.batch_candidates_add(batch=batch, candidates=[(eligible.pk, None), (archived.pk, None)], user=staff_user)
    assert str(archived.pk) in refused.value.message_dict["enterprises"][0]
    assert ARCHIVED in refused.value.message_dict["enterprises"][0]
    assert not batch.designations.exists()  # all or nothing


def test_no_change_of_memberships_but_the_same_ones_sent_back(staff_user):
    cluster, other = ClusterFactory(), ClusterFactory()
    enterprise = EnterpriseFactory()
    enterprise_update(enterprise=enterprise, user=staff_user, memberships=[{"cluster": cluster}])
    enterprise = enterprise_archive(enterprise=enterprise, user=staff_user)
    with pytest.raises(ValidationError) as refused:
        enterprise_update(enterprise=enterprise, user=staff_user, memberships=[{"cluster": cluster}, {"cluster": other}])
    assert ARCHIVED in refused.value.message_dict["memberships"][0]
    with pytest.raises(ValidationError):
        enterprise_update(enterprise=enterprise, user=staff_user, memberships=[])
    # Sent back as they are (a PUT does), with a correction of the enterprise's own facts: allowed.
    saved = enterprise_update(enterprise=enterprise, user=staff_user, memberships=[{"cluster": cluster}], name="改名")
    assert saved.name == "改名"
    assert list(ClusterMembership.objects.filter(enterprise=enterprise).values_list("cluster", flat=True)) == [cluster.pk]


def test_its_stored_records_stay_editable(staff_user):
    designation = DesignationFactory(status="active")
    metrics = AnnualMetricsFactory(enterprise=designation.enterprise)
    enterprise_archive(enterprise=designation.enterprise, user=staff_user)
    revoked = designation_update(designation=designation, user=staff_user, status="revoked", reason="企业注销")
    assert revoked.status == "revoked"
    assert metrics_update(metrics=metrics, user=staff_user, employees=99).employees == 99


def test_restored_it_takes_new_records_again(archived, staff_user):
    enterprise_restore(enterprise=archived, user=staff_user)
    archived.refresh_from_db()
    metrics = metrics_create(user=staff_user, enterprise=archived, fiscal_year=2025)
    designation = designation_create(
        user=staff_user, enterprise=archived, tier=TierFactory(), status="candidate", recognized_on=dt.date(2026, 1, 5)
    )
    assert metrics.pk and designation.pk
