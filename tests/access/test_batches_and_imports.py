"""Designation batches and Excel imports through the read layer: a 南京 user sees and changes only
南京's part of a batch and only 南京's imports, and an import of theirs touches only 南京's rows.

The world (tests/access/conftest.py): a draft batch with a candidate in 南京 (玄武区) and one in 苏州
(吴中区), an import job by each city's office, a completed run of fiscal year 2025.
"""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.access.conftest import HOME, OTHER, admin_client, api_client
from tests.factories import UserFactory, make_uscc, region
from tests.imports.conftest import workbook
from tracker.models import (
    AnnualMetrics,
    BatchReview,
    Designation,
    DesignationBatch,
    EligibilityResult,
    Enterprise,
    ImportJob,
    Objection,
)
from tracker.services import batches as services
from tracker.services.imports import import_job_create, rejected_lines

pytestmark = pytest.mark.django_db

RS, PS = "region_staff", "province_staff"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def eligible(world, code: str):
    """A fresh enterprise of ``code`` whose current result (fiscal year 2025) is 符合."""
    enterprise = world.fresh_enterprise(code)
    EligibilityResult.objects.create(
        enterprise=enterprise, tier=world.tier, fiscal_year=2025, status="eligible", ruleset=world.ruleset,
        input_hash=0, evaluated_at=timezone.now(),
    )
    return enterprise


#
# Batches: the API
#


def test_a_city_user_counts_and_lists_only_their_regions_candidates(world):
    for persona, wanted in ((RS, {world.home.designation.pk}), (PS, {world.home.designation.pk,
                                                                      world.other.designation.pk})):
        client = api_client(world, persona)
        listed = client.get("/api/v1/batches/").json()["results"]
        assert [b["candidate_count"] for b in listed if b["id"] == world.batch.pk] == [len(wanted)], persona
        candidates = client.get(f"/api/v1/batches/{world.batch.pk}/candidates/").json()
        assert {row["designation"] for row in candidates} == wanted, persona
        assert {row["region"] for row in candidates} <= {HOME, OTHER}


def test_a_city_user_adds_candidates_of_their_region_only(world):
    home, other = eligible(world, HOME), eligible(world, OTHER)
    client = api_client(world, RS)
    url = f"/api/v1/batches/{world.batch.pk}/candidates/"
    refused = client.post(url, {"enterprises": [str(other.pk)]}, format="json")
    assert refused.status_code == 400 and "enterprises" in refused.json()
    assert other.uscc not in str(refused.json()) and other.name not in str(refused.json())
    added = client.post(url, {"enterprises": [str(home.pk)]}, format="json")
    assert added.status_code == 200 and added.json()["added"] == 1
    assert set(Designation.objects.filter(designation_batch=world.batch).values_list("enterprise_id", flat=True)) == {
        world.home.enterprise.pk, world.other.enterprise.pk, home.pk
    }


def test_the_service_refuses_another_regions_candidate_and_the_provinces_steps(world):
    user = world.users[RS]
    other = eligible(world, OTHER)
    with pytest.raises(ValidationError) as refused:
        services.batch_candidates_add(batch=world.batch, candidates=[(other.pk, None)], user=user)
    assert "enterprises" in refused.value.message_dict
    for step in (services.batch_publicize, services.batch_withdraw):
        with pytest.raises(ValidationError, match="省级主管部门"):
            step(batch=world.batch, user=user)
    assert DesignationBatch.objects.get(pk=world.batch.pk).status == "draft"
    with pytest.raises(ValidationError, match="省级主管部门"):
        services.batch_create(user=user, tier=world.tier, year=2027, name="市里自建的批次")


def test_a_city_user_sees_the_reviews_and_objections_of_their_region_only(world):
    batch = DesignationBatch.objects.create(kind="review", tier=world.tier, year=2026, name="复核", status="publicizing")
    reviews = {}
    for place in (world.home, world.other):
        due = Designation.objects.create(enterprise=place.enterprise, tier=world.tier, status="review_due",
                                         recognized_on="2023-06-01", valid_until="2026-05-31")
        reviews[place.code] = BatchReview.objects.create(batch=batch, designation=due)
        Objection.objects.create(batch=batch, designation=due, received_on="2026-06-12", objector="张三", content="异议")
    for persona, codes in ((RS, {HOME}), (PS, {HOME, OTHER})):
        client = api_client(world, persona)
        shown = {row["id"] for row in client.get(f"/api/v1/batches/{batch.pk}/reviews/").json()}
        assert shown == {reviews[code].pk for code in codes}, persona
        objections = client.get(f"/api/v1/batches/{batch.pk}/objections/").json()
        assert {row["designation"] for row in objections} == {reviews[code].designation_id for code in codes}
        counted = client.get(f"/api/v1/batches/{batch.pk}/").json()["review_count"]
        assert counted == len(codes), persona


def test_a_province_user_cannot_name_a_designation_outside_the_batch_in_an_objection(world):
    """The objection's designation is checked by the service; the serializer offers visible ones only."""
    batch = DesignationBatch.objects.create(kind="new", tier=world.tier, year=2026, name="第三批", status="publicizing")
    response = api_client(world, PS).post(
        f"/api/v1/batches/{batch.pk}/objections/",
        {"designation": world.home.designation.pk, "received_on": "2026-06-12", "objector": "张三", "content": "异议"},
        format="json",
    )
    assert response.status_code == 400 and "不在本批次" in str(response.json())


#
# Batches: the admin
#


def test_a_city_users_batch_page_lists_their_candidates_without_the_provinces_buttons(world):
    url = reverse("admin:tracker_designationbatch_change", args=[world.batch.pk])
    city = admin_client(world, RS).get(url).content.decode()
    assert world.home.enterprise.name in city and world.other.enterprise.name not in city
    assert "step-publicize" not in city
    province = admin_client(world, PS).get(url).content.decode()
    assert world.home.enterprise.name in province and world.other.enterprise.name in province
    assert "step-publicize" in province


def test_a_city_users_publicity_list_has_their_rows_only(world):
    for persona, rows in ((RS, 1), (PS, 2)):
        response = admin_client(world, persona).get(
            reverse("admin:tracker_designationbatch_publicity", args=[world.batch.pk])
        )
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        names = {sheet.cell(row=r, column=2).value for r in range(4, sheet.max_row + 1)}
        assert len(names) == rows and world.home.enterprise.name in names, persona


def test_a_city_user_adds_results_of_their_region_to_the_batch_from_the_results_list(world):
    home, other = eligible(world, HOME), eligible(world, OTHER)
    results = EligibilityResult.objects.filter(enterprise__in=[home, other], status="eligible")
    response = admin_client(world, RS).post(
        reverse("admin:tracker_eligibilityresult_changelist"),
        {"action": "add_to_batch", "_selected_action": [r.pk for r in results]},
    )
    assert response.status_code == 302
    added = Designation.objects.filter(designation_batch=world.batch, enterprise__in=[home, other])
    assert list(added.values_list("enterprise_id", "status")) == [(home.pk, "candidate")]


def test_the_not_designated_filter_leaves_out_candidates_and_holders(world):
    holder, free = eligible(world, HOME), eligible(world, HOME)
    Designation.objects.create(enterprise=holder, tier=world.tier, status="active", recognized_on="2024-06-01",
                               valid_until="2027-05-31")
    response = admin_client(world, PS).get(
        reverse("admin:tracker_eligibilityresult_changelist"), {"designated": "0", "status": "eligible"}
    )
    shown = {result.enterprise_id for result in response.context["cl"].result_list}
    assert free.pk in shown and holder.pk not in shown


#
# Imports
#

METRICS = ["统一社会信用代码", "企业名称", "年度", "营业收入（万元）"]


def upload(world, persona, kind, content, capture):
    """Upload as ``persona`` through the service the admin calls; the dry run runs after the commit."""
    with capture(execute=True):
        job = import_job_create(kind=kind, name="导入.xlsx", content=content, user=world.users[persona])
    job.refresh_from_db()
    return job


def test_an_import_belongs_to_the_uploaders_office_and_only_their_region_sees_it(world, django_capture_on_commit_callbacks):
    job = upload(world, RS, "metrics", workbook(METRICS, [world.home.enterprise.uscc, "", 2024, 100]),
                 django_capture_on_commit_callbacks)
    assert job.region.code == "320100"
    assert ImportJob.objects.visible_to(world.users["read_only"]).filter(pk=job.pk).exists()
    assert set(ImportJob.objects.visible_to(world.users[RS])) >= {job, world.home.job}
    assert not ImportJob.objects.visible_to(world.users[RS]).filter(pk=world.other.job.pk).exists()
    assert ImportJob.objects.visible_to(world.users[PS]).filter(pk=world.other.job.pk).exists()


def test_a_city_import_rejects_another_regions_enterprise_exactly_like_an_unknown_code(
    world, django_capture_on_commit_callbacks
):
    other, unknown = world.other.enterprise, make_uscc(OTHER)
    content = workbook(METRICS, [world.home.enterprise.uscc, "", 2024, 100], [other.uscc, "", 2024, 100],
                       [unknown, "", 2024, 100])
    job = upload(world, RS, "metrics", content, django_capture_on_commit_callbacks)
    assert (job.new_count, job.rejected_count) == (1, 2)
    lines = rejected_lines(job)
    outside, missing = (line.split("：", 1)[1] for line in lines)
    assert outside == missing and "南京市（320100）" in outside, lines
    preview = str(job.preview)
    assert other.name not in preview and "吴中" not in preview
    assert not AnnualMetrics.objects.filter(enterprise=other, fiscal_year=2024).exists()


def test_the_same_file_from_the_province_is_accepted(world, django_capture_on_commit_callbacks):
    content = workbook(METRICS, [world.home.enterprise.uscc, "", 2024, 100], [world.other.enterprise.uscc, "", 2024, 100])
    job = upload(world, PS, "metrics", content, django_capture_on_commit_callbacks)
    assert job.region.level == "province" and (job.new_count, job.rejected_count) == (2, 0)


ENTERPRISES = ["统一社会信用代码", "企业名称", "设区市", "县（市、区）"]


def test_a_city_import_of_enterprises_stays_in_the_city(world, django_capture_on_commit_callbacks):
    other = world.other.enterprise
    region("320104", "秦淮区")
    content = workbook(
        ENTERPRISES,
        [make_uscc(HOME), "新建南京科技有限公司", "南京市", "秦淮区"],  # new, in the city: accepted
        [make_uscc(OTHER), "新建苏州科技有限公司", "苏州市", "吴中区"],  # new, elsewhere
        [other.uscc, "", "", ""],  # another region's enterprise, name left empty
        [world.home.enterprise.uscc, "", "苏州市", ""],  # moved out of the city
    )
    job = upload(world, RS, "enterprises", content, django_capture_on_commit_callbacks)
    assert (job.new_count, job.rejected_count) == (1, 3)
    lines = "\n".join(rejected_lines(job))
    assert "第 3 行" in lines and "“苏州市（320500）”不在您的管辖范围内" in lines
    assert "第 4 行" in lines and "不在您的管辖范围（南京市（320100））内，不能在此导入或修改" in lines
    assert "第 5 行" in lines
    assert other.name not in lines and other.name not in str(job.preview)
    assert Enterprise.objects.get(pk=other.pk).name == other.name


DESIGNATIONS = ["统一社会信用代码", "企业名称", "梯度层级", "认定日期", "状态"]


def test_a_city_import_of_designations_records_candidates_only(world, django_capture_on_commit_callbacks):
    home = world.home.enterprise
    content = workbook(
        DESIGNATIONS,
        [home.uscc, "", world.tier.code, "2025-06-01", "有效"],
        [home.uscc, "", world.tier.code, None, "候选"],
    )
    job = upload(world, RS, "designations", content, django_capture_on_commit_callbacks)
    assert (job.new_count, job.rejected_count) == (1, 1)
    assert rejected_lines(job) == [
        "第 2 行：“状态”：您只能登记和修改“候选”状态的认定记录；公示、认定、复核与撤销由省级主管部门办理。"
    ]
    province = upload(world, PS, "designations", content, django_capture_on_commit_callbacks)
    assert province.rejected_count == 0


def test_a_user_without_an_office_cannot_import(world):
    user = UserFactory(username="clerk_without_office", is_staff=True, is_superuser=False)
    user.user_permissions.set(world.users[RS].groups.get().permissions.all())
    with pytest.raises(PermissionDenied, match="所属地区"):
        import_job_create(kind="metrics", name="x.xlsx", content=b"", user=user)


def test_the_import_history_shows_a_city_user_their_regions_imports(world):
    response = admin_client(world, RS).get(reverse("admin:tracker_importjob_changelist"))
    shown = {job.pk for job in response.context["cl"].result_list}
    assert world.home.job.pk in shown and world.other.job.pk not in shown


def test_a_city_users_batch_list_and_candidates_cost_the_same_for_few_or_many(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(world, RS)

    def count(url, **params) -> int:
        client.get(url, params)  # warm the user's scope and permission caches
        with CaptureQueriesContext(connection) as context:
            assert client.get(url, params).status_code == 200
        return len(context.captured_queries)

    for number in range(12):
        batch = DesignationBatch.objects.create(kind="new", tier=world.tier, year=2026, name=f"第{number}批")
        for code in (HOME, OTHER):
            Designation.objects.create(enterprise=world.fresh_enterprise(code), tier=world.tier,
                                       designation_batch=batch)
    assert count("/api/v1/batches/", page_size=2) == count("/api/v1/batches/", page_size=12)
    few = DesignationBatch.objects.create(kind="new", tier=world.tier, year=2026, name="少")
    many = DesignationBatch.objects.create(kind="new", tier=world.tier, year=2026, name="多")
    Designation.objects.create(enterprise=world.fresh_enterprise(HOME), tier=world.tier, designation_batch=few)
    for _ in range(30):
        Designation.objects.create(enterprise=world.fresh_enterprise(HOME), tier=world.tier, designation_batch=many)
    assert count(f"/api/v1/batches/{few.pk}/candidates/") == count(f"/api/v1/batches/{many.pk}/candidates/")
