"""/api/v1/batches/: a designation batch from draft to published, through the API."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms
from tests.factories import DesignationFactory, EnterpriseFactory, TierFactory
from tests.test_batches import result
from tracker.models import Designation, DesignationBatch

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


#
# Versions (api/versioning.py): a batch is versioned like every record staff edit.
#


def draft(staff_client) -> tuple[str, dict]:
    created = staff_client.post("/api/v1/batches/", BATCH, format="json")
    assert created.status_code == 201, created.json()
    return f"/api/v1/batches/{created.json()['id']}/", created


def test_a_batch_is_read_and_written_with_its_version_as_etag(tier, staff_client):
    url, created = draft(staff_client)
    assert created["ETag"] == '"1"' and created.json()["version"] == 1
    read = staff_client.get(url)
    assert read["ETag"] == '"1"' and read.json()["version"] == 1
    patched = staff_client.patch(url, {"name": "2026年第二批"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert patched.status_code == 200, patched.json()
    assert patched["ETag"] == '"2"' and patched.json()["version"] == 2 and patched.json()["name"] == "2026年第二批"
    assert staff_client.get(url)["ETag"] == '"2"'


def test_a_stale_if_match_on_a_batch_is_a_412_with_the_current_version_and_nothing_written(tier, staff_client):
    url, _created = draft(staff_client)
    staff_client.patch(url, {"document_no": "苏工信中小〔2026〕1号"}, format="json")  # someone else: version 2
    stale = staff_client.patch(url, {"name": "改名"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2 and stale.json()["code"] == "stale" and stale["ETag"] == '"2"'
    assert "此记录已被他人修改" in stale.json()["detail"]
    batch = DesignationBatch.objects.get(pk=_created.json()["id"])
    assert (batch.name, batch.version) == (BATCH["name"], 2)
    assert batch.history.filter(name="改名").count() == 0


def test_the_steps_honour_if_match(tier, staff_client):
    firm = EnterpriseFactory()
    result(firm, tier, "eligible")
    url, _created = draft(staff_client)
    staff_client.post(url + "candidates/", {"enterprises": [firm.uscc]}, format="json")
    staff_client.patch(url, {"objection_contact": "改为书面受理"}, format="json")  # version 2
    stale = staff_client.post(url + "publicize/", {}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    assert DesignationBatch.objects.get(name=BATCH["name"]).status == "draft"
    assert Designation.objects.get(enterprise=firm).status == "candidate"  # the step was not taken
    publicized = staff_client.post(url + "publicize/", {}, format="json", HTTP_IF_MATCH='"2"')
    assert publicized.status_code == 200 and publicized["ETag"] == '"3"' and publicized.json()["candidate_count"] == 1
    assert staff_client.post(url + "withdraw/", {}, format="json", HTTP_IF_MATCH='"2"').status_code == 412
    withdrawn = staff_client.post(url + "withdraw/", {"reason": "撤回"}, format="json", HTTP_IF_MATCH='W/"3"')
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn" and withdrawn["ETag"] == '"4"'


def test_a_malformed_or_required_if_match_on_a_batch(tier, staff_client, settings):
    url, _created = draft(staff_client)
    assert staff_client.patch(url, {"name": "x"}, format="json", HTTP_IF_MATCH="abc").status_code == 400
    settings.TIDU = {**settings.TIDU, "REQUIRE_IF_MATCH": True}
    assert staff_client.patch(url, {"name": "x"}, format="json").status_code == 428
    assert staff_client.post(url + "withdraw/", {}, format="json").status_code == 428
    assert staff_client.patch(url, {"name": "x"}, format="json", HTTP_IF_MATCH="*").status_code == 200


def test_a_patch_answers_with_the_counts_a_read_gives(tier, staff_client):
    firm = EnterpriseFactory()
    result(firm, tier, "eligible")
    url, _created = draft(staff_client)
    staff_client.post(url + "candidates/", {"enterprises": [firm.uscc]}, format="json")
    assert staff_client.patch(url, {"name": "改名"}, format="json").json()["candidate_count"] == 1


def test_a_batch_s_own_lists_are_whole_lists(tier, staff_client):
    url, _created = draft(staff_client)
    # Not pages, and the batch list's filters do not apply (they were documented, and ignored).
    assert staff_client.get(url + "candidates/", {"page_size": "x", "year": "0.5"}).json() == []
    assert staff_client.get(url + "objections/").json() == []
