"""Designations: no overlapping holding titles (the service's message, the database's constraint), an
enterprise that never changes, plausible dates; and the admin's stale form."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client

from tests.api.conftest import token_client, user_with_perms
from tests.factories import DesignationFactory, EnterpriseFactory, TierFactory
from tracker.models import Designation, Enterprise
from tracker.services import designations as designation_services
from tracker.services.bulk_rows import rows_update
from tracker.services.designations import designation_create, designation_update

pytestmark = pytest.mark.django_db

@pytest.fixture
def staff_client(staff_user):
    return token_client(staff_user)


HELD = {"status": "active", "recognized_on": dt.date(2024, 6, 1), "valid_until": dt.date(2027, 5, 31)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_the_database_refuses_overlapping_holding_designations():
    first = DesignationFactory(**HELD)
    with pytest.raises(IntegrityError, match="designation_holding_no_overlap"), transaction.atomic():
        Designation.objects.create(
            enterprise=first.enterprise, tier=first.tier, status="renewed",
            recognized_on=dt.date(2027, 5, 31), valid_until=dt.date(2030, 5, 30),
        )
    # Back to back, a candidate, or another tier: allowed.
    Designation.objects.create(enterprise=first.enterprise, tier=first.tier, status="renewed",
                               recognized_on=dt.date(2027, 6, 1), valid_until=dt.date(2030, 5, 31))
    Designation.objects.create(enterprise=first.enterprise, tier=first.tier, status="candidate",
                               recognized_on=dt.date(2025, 1, 1))
    other_tier = TierFactory(code="little_giant", ladder_order=3)
    Designation.objects.create(enterprise=first.enterprise, tier=other_tier, **HELD)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_a_write_that_slips_past_the_check_gets_the_same_kind_of_message(monkeypatch, staff_user):
    first = DesignationFactory(**HELD)
    monkeypatch.setattr(designation_services, "designation_overlap_check", lambda designation: None)
    with pytest.raises(ValidationError) as error:
        designation_create(user=staff_user, enterprise=first.enterprise, tier=first.tier, **HELD)
    assert "重叠" in error.value.message_dict["valid_until"][0]


def test_overlaps_are_refused_with_the_friendly_message_by_the_api(staff_client):
    first = DesignationFactory(**HELD)
    body = {"enterprise": first.enterprise_id, "tier": first.tier_id, "status": "active",
            "recognized_on": "2025-01-01", "valid_until": "2027-12-31"}
    response = staff_client.post("/api/v1/designations/", body, format="json")
    assert response.status_code == 400 and "有效期重叠" in response.json()["valid_until"][0]


def test_the_enterprise_of_a_designation_cannot_change(staff_user):
    designation = DesignationFactory()
    other = EnterpriseFactory()
    client = token_client(user_with_perms("view_designation", "change_designation"))
    response = client.patch(f"/api/v1/designations/{designation.pk}/", {"enterprise": other.pk}, format="json")
    assert response.status_code == 400 and "不能更改" in response.json()["enterprise"][0]
    with pytest.raises(ValidationError, match="不能更改"):
        designation_update(designation=designation, user=staff_user, enterprise=other)
    designation.refresh_from_db()
    assert designation.enterprise_id != other.pk


@pytest.mark.parametrize(("field", "value"), [("recognized_on", "1800-01-01"), ("valid_until", "9999-12-31")])
def test_implausible_dates_are_a_400_naming_the_field(staff_client, field, value):
    body = {"enterprise": EnterpriseFactory().pk, "tier": TierFactory().code, "status": "candidate",
            "recognized_on": "2025-06-01", field: value}
    response = staff_client.post("/api/v1/designations/", body, format="json")
    assert response.status_code == 400
    assert "2000-01-01" in response.json()[field][0]
    assert not Designation.objects.exists()


def test_an_import_bumps_the_version_of_the_rows_it_updates():
    enterprise = EnterpriseFactory()
    rows_update(Enterprise, {"id": [enterprise.pk], "name": ["导入后名称有限公司"]}, n=1, reason="import")
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.version) == ("导入后名称有限公司", 2)
    assert enterprise.history.latest("history_id").version == 2


# The admin's change form


@pytest.fixture
def admin_client(admin_user, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    client.force_login(admin_user)
    return client


def form(designation, **changes) -> dict:
    data = {"tier": designation.tier_id, "cluster": "", "status": designation.status, "batch": designation.batch,
            "document_no": designation.document_no, "recognized_on": designation.recognized_on.isoformat(),
            "valid_until": designation.valid_until.isoformat(), "note": designation.note,
            "base_version": designation.version}
    return {**data, **changes}


def test_the_admin_shows_the_enterprise_read_only_on_change(admin_client):
    designation = DesignationFactory()
    page = admin_client.get(f"/admin/tracker/designation/{designation.pk}/change/").content.decode()
    assert 'name="enterprise"' not in page and 'name="base_version"' in page


def test_a_stale_admin_save_is_refused_and_shows_what_changed(admin_client, staff_user):
    designation = DesignationFactory()
    url = f"/admin/tracker/designation/{designation.pk}/change/"
    opened = form(designation, document_no="我的文号")
    designation_update(designation=designation, user=staff_user, note="他人的备注")  # someone else saves
    page = admin_client.post(url, opened)
    assert page.status_code == 200
    text = page.content.decode()
    assert "此记录已被他人修改" in text and "他人的备注" in text and "我的文号" in text
    designation.refresh_from_db()
    assert (designation.note, designation.document_no, designation.version) == ("他人的备注", "苏工信中小〔2024〕1号", 2)
    # Saved again from the form now shown (it carries the current version): the user's choice stands.
    again = admin_client.post(url, {**opened, "base_version": 2, "note": "他人的备注"})
    assert again.status_code == 302
    designation.refresh_from_db()
    assert (designation.note, designation.document_no, designation.version) == ("他人的备注", "我的文号", 3)
