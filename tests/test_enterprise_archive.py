"""Deleting an enterprise: archived while official records hang on it, hard-deleted only by a province
administrator who may delete all of them (services/enterprise_archive.py), by every door."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client

from tests.api.conftest import token_client, user_with_perms
from tests.factories import AnnualMetricsFactory, DesignationFactory, EnterpriseFactory, UserFactory, give_office
from tracker.models import AnnualMetrics, Designation, EligibilityResult, Enterprise, InputDigest, TierChange
from tracker.services.enterprise_archive import (
    enterprise_archive,
    enterprise_delete,
    enterprise_hard_delete,
    enterprise_restore,
)
from tracker.services.runs import run_start, run_sync

pytestmark = pytest.mark.django_db


def full_run():
    return run_sync(run=run_start(kind="manual", dispatch=False))


@pytest.fixture
def demo(db):
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=30, seed=7, stdout=io.StringIO())
    full_run()


def province_admin():
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tracker"))
    give_office(user)
    return user


def test_an_enterprise_without_records_is_deleted(staff_user):
    enterprise = EnterpriseFactory()
    assert enterprise_delete(enterprise=enterprise, user=staff_user) is False
    assert not Enterprise.objects.filter(pk=enterprise.pk).exists()
    assert Enterprise.history.get(id=enterprise.pk, history_type="-").history_user == staff_user


def test_an_enterprise_with_records_is_archived_and_keeps_them(staff_user):
    metrics = AnnualMetricsFactory()
    designation = DesignationFactory(enterprise=metrics.enterprise)
    assert enterprise_delete(enterprise=metrics.enterprise, user=staff_user) is True
    enterprise = Enterprise.objects.get(pk=metrics.enterprise_id)
    assert enterprise.archived_at is not None and enterprise.version == 2
    assert AnnualMetrics.objects.filter(pk=metrics.pk).exists() and Designation.objects.filter(pk=designation.pk).exists()
    assert not Enterprise.objects.active().filter(pk=enterprise.pk).exists()
    assert enterprise.history.latest("history_id").history_user == staff_user


def test_archiving_withdraws_results_with_a_lost_event_and_runs_skip_it_until_restored(demo):
    eligible = EligibilityResult.objects.filter(status="eligible").values_list("enterprise_id", flat=True).first()
    assert eligible is not None
    enterprise = Enterprise.objects.get(pk=eligible)
    eligible_count = EligibilityResult.objects.filter(enterprise=enterprise, status="eligible").count()
    enterprise_archive(enterprise=enterprise)
    assert not EligibilityResult.objects.filter(enterprise=enterprise).exists()
    assert not InputDigest.objects.filter(enterprise=enterprise).exists()
    assert TierChange.objects.filter(enterprise=enterprise, change="lost", to_status="").count() == eligible_count
    others = EligibilityResult.objects.count()
    full_run()
    assert not EligibilityResult.objects.filter(enterprise=enterprise).exists()
    assert EligibilityResult.objects.count() == others
    enterprise_restore(enterprise=enterprise)
    full_run()
    assert EligibilityResult.objects.filter(enterprise=enterprise, status="eligible").count() == eligible_count


def test_a_hard_delete_needs_the_delete_permission_of_everything_it_removes():
    metrics = AnnualMetricsFactory()
    DesignationFactory(enterprise=metrics.enterprise)
    user = user_with_perms("delete_enterprise", "hard_delete_enterprise", "delete_annualmetrics")
    with pytest.raises(PermissionDenied, match=r"tracker\.delete_designation"):
        enterprise_hard_delete(enterprise=metrics.enterprise, user=user, reason="重复登记")
    assert Enterprise.objects.filter(pk=metrics.enterprise_id).exists()
    assert Designation.objects.filter(enterprise_id=metrics.enterprise_id).count() == 1


def test_a_province_admins_hard_delete_removes_everything_and_is_audited():
    metrics = AnnualMetricsFactory()
    designation = DesignationFactory(enterprise=metrics.enterprise)
    admin = province_admin()
    enterprise_hard_delete(enterprise=metrics.enterprise, user=admin, reason="重复登记")
    assert not Enterprise.objects.filter(pk=metrics.enterprise_id).exists()
    for model, pk in ((Enterprise, metrics.enterprise_id), (AnnualMetrics, metrics.pk), (Designation, designation.pk)):
        row = model.history.get(id=pk, history_type="-")
        assert row.history_user == admin and "彻底删除" in row.history_change_reason
        assert "重复登记" in row.history_change_reason


def test_the_province_admin_role_may_hard_delete():
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    from django.contrib.auth.models import Group

    assert Group.objects.get(name="province_admin").permissions.filter(codename="hard_delete_enterprise").exists()
    assert not Group.objects.get(name="province_staff").permissions.filter(codename="hard_delete_enterprise").exists()


# The API


def test_api_delete_archives_an_enterprise_with_records_and_restore_brings_it_back():
    metrics = AnnualMetricsFactory()
    enterprise = metrics.enterprise
    client = token_client(user_with_perms("view_enterprise", "delete_enterprise"))
    response = client.delete(f"/api/v1/enterprises/{enterprise.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["archived_at"] and "已归档" in response.json()["detail"]
    assert response["ETag"] == '"2"'
    assert AnnualMetrics.objects.filter(pk=metrics.pk).exists()
    listed = {row["id"] for row in client.get("/api/v1/enterprises/").json()["results"]}
    assert enterprise.pk not in listed
    archived = {row["id"] for row in client.get("/api/v1/enterprises/", {"archived": "true"}).json()["results"]}
    assert archived == {enterprise.pk}
    assert client.get(f"/api/v1/enterprises/{enterprise.pk}/").status_code == 200
    restored = client.post(f"/api/v1/enterprises/{enterprise.pk}/restore/", HTTP_IF_MATCH='"2"')
    assert restored.status_code == 200 and restored.json()["archived_at"] is None and restored["ETag"] == '"3"'
    assert enterprise.pk in {row["id"] for row in client.get("/api/v1/enterprises/").json()["results"]}


def test_api_restore_needs_the_delete_permission():
    enterprise = EnterpriseFactory()
    client = token_client(user_with_perms("view_enterprise", "change_enterprise", "add_enterprise"))
    assert client.post(f"/api/v1/enterprises/{enterprise.pk}/restore/").status_code == 403


# The admin


@pytest.fixture
def admin_pages(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    admin = province_admin()
    client = Client()
    client.force_login(admin)
    return client


def test_admin_delete_archives_and_says_so(admin_pages):
    metrics = AnnualMetricsFactory()
    url = f"/admin/tracker/enterprise/{metrics.enterprise_id}/delete/"
    confirm = admin_pages.get(url)
    assert confirm.status_code == 200 and "将归档" in confirm.content.decode()
    response = admin_pages.post(url, {"post": "yes"}, follow=True)
    assert "已归档而非删除" in response.content.decode()
    assert Enterprise.objects.archived().filter(pk=metrics.enterprise_id).exists()
    changelist = admin_pages.get("/admin/tracker/enterprise/").content.decode()
    assert metrics.enterprise.name not in changelist
    assert metrics.enterprise.name in admin_pages.get("/admin/tracker/enterprise/?archived=true").content.decode()


def test_admin_restore_and_hard_delete_actions(admin_pages):
    metrics = AnnualMetricsFactory()
    enterprise_archive(enterprise=metrics.enterprise)
    admin_pages.post(
        "/admin/tracker/enterprise/?archived=true",
        {"action": "restore_selected", "_selected_action": [metrics.enterprise_id]},
    )
    assert Enterprise.objects.active().filter(pk=metrics.enterprise_id).exists()
    body = {"action": "hard_delete_selected", "_selected_action": [metrics.enterprise_id]}
    confirm = admin_pages.post("/admin/tracker/enterprise/", body)
    assert confirm.status_code == 200 and "彻底删除不可恢复" in confirm.content.decode()
    assert Enterprise.objects.filter(pk=metrics.enterprise_id).exists()
    admin_pages.post("/admin/tracker/enterprise/", {**body, "confirm": "yes", "reason": "重复登记"})
    assert not Enterprise.objects.filter(pk=metrics.enterprise_id).exists()
    assert not AnnualMetrics.objects.filter(pk=metrics.pk).exists()
