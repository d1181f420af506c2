"""/api/v1/batches/: a designation batch from draft to published, through the API."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms
from tests.factories import DesignationFactory, EnterpriseFactory, TierFactory
from tests.test_batches import result
from tracker.models import Designation

BATCH = {
    "kind": "new",
    "tier": "specialized_sme",
    "year": 2026,
    "name": "2026年第一批",
    "publicity_start": "2026-06-10",
    "publicity_end": "2026-06-16",
    "objection_contact": "省工信厅中小企业处 025-0000000",
}


@pytest.fixture
def tier(db):
    return TierFactory()


def test_anonymous_and_view_only_users_cannot_write(tier):
    assert APIClient().get("/api/v1/batches/").status_code == 401
    viewer = token_client(user_with_perms("view_designationbatch"))
    assert viewer.get("/api/v1/batches/").status_code == 200
    assert viewer.post("/api/v1/batches/", BATCH, format="json").status_code == 403


def test_a_batch_from_draft_to_published(tier, staff_client):
    firm, dropped = EnterpriseFactory(), EnterpriseFactory()
    result(firm, tier, "eligible")
    result(dropped, tier, "not_eligible")
    created = staff_client.post("/api/v1/batches/", BATCH, format="json")
    assert created.status_code == 201, created.json()
    url = f"/api/v1/batches/{created.json()['id']}/"
    added = staff_client.post(url + "candidates/", {"enterprises": [firm.uscc, str(dropped.pk)]}, format="json")
    assert added.json() == {"added": 1, "skipped": {"当前不符合认定条件": 1}}
    candidates = staff_client.get(url + "candidates/").json()
    assert [(c["enterprise_uscc"], c["result_status"], c["no_longer_eligible"]) for c in candidates] == [
        (firm.uscc, "eligible", False)
    ]
    assert staff_client.post(url + "publicize/", {}, format="json").json()["status"] == "publicizing"
    missing = staff_client.post(url + "publish/", {"published_on": "2026-07-01"}, format="json")
    assert missing.status_code == 400 and missing.json()["document_no"] == ["发布须填写文号。"]
    published = staff_client.post(url + "publish/", {"published_on": "2026-07-01", "document_no": "苏工信中小〔2026〕1号"}, format="json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    designation = Designation.objects.get(enterprise=firm)
    assert (designation.status, designation.valid_until) == ("active", dt.date(2029, 6, 30))
    assert staff_client.patch(url, {"tier": "little_giant"}, format="json").status_code == 400


def test_objections_and_reviews(tier, staff_client):
    due = DesignationFactory(tier=tier, status="review_due", recognized_on=dt.date(2023, 6, 1), valid_until=dt.date(2026, 5, 31))
    url = "/api/v1/batches/{}/".format(staff_client.post("/api/v1/batches/", {**BATCH, "kind": "review", "name": "2026年复核"}, format="json").json()["id"])
    assert staff_client.post(url + "reviews/", {}, format="json").json() == {"added": 1}
    review = staff_client.get(url + "reviews/").json()[0]
    assert staff_client.patch(url + f"reviews/{review['id']}/", {"outcome": "passed"}, format="json").status_code == 200
    staff_client.post(url + "publicize/", {}, format="json")
    objection = staff_client.post(
        url + "objections/", {"designation": due.pk, "received_on": "2026-06-12", "objector": "李四", "content": "经营异常"}, format="json"
    )
    assert objection.status_code == 201
    resolved = staff_client.post(url + f"objections/{objection.json()['id']}/resolve/", {"resolution": "upheld"}, format="json")
    assert resolved.json()["resolution"] == "upheld"
    staff_client.post(url + "publish/", {"published_on": "2026-07-01", "document_no": "苏工信中小〔2026〕9号"}, format="json")
    due.refresh_from_db()
    assert due.status == "revoked"  # the upheld objection failed the review
