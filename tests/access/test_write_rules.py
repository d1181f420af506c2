"""Writes follow the writer's region and role: refused with a Chinese message naming the field, and
nothing changes. The services hold the rule, so the admin, the API and imports all get it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.access.conftest import HOME, OTHER, admin_client
from tests.api.conftest import token_client, user_with_perms
from tests.factories import make_uscc, region
from tracker.models import AnnualMetrics, Designation, Enterprise, Region, Ruleset, RulesetPreview
from tracker.services.designations import designation_create, designation_delete, designation_update
from tracker.services.enterprises import enterprise_create, enterprise_update
from tracker.services.metrics import metrics_create

pytestmark = pytest.mark.django_db


def refused(field: str, call, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as excinfo:
        call(*args, **kwargs)
    assert field in excinfo.value.message_dict, excinfo.value.message_dict
    return excinfo.value.message_dict[field][0]


def test_a_city_user_registers_enterprises_only_in_the_city(world):
    staff = world.users["region_staff"]
    message = refused("region", enterprise_create, user=staff, uscc=make_uscc(OTHER), name="甲", region=region(OTHER))
    assert "吴中区" in message and "南京市" in message
    created = enterprise_create(user=staff, uscc=make_uscc(HOME), name="乙", region=region(HOME))
    assert created.region.code == HOME


def test_a_city_user_moves_an_enterprise_within_the_city_but_not_out(world):
    staff, enterprise = world.users["region_staff"], world.home.enterprise
    refused("region", enterprise_update, enterprise=enterprise, user=staff, region=region(OTHER))
    assert Enterprise.objects.get(pk=enterprise.pk).region.code == HOME
    enterprise_update(enterprise=enterprise, user=staff, region=region("320100"))
    assert Enterprise.objects.get(pk=enterprise.pk).region.code == "320100"


def test_nobody_puts_an_enterprise_under_a_retired_code(world):
    baixia = region("320103", "白下区")
    Region.objects.filter(pk=baixia.pk).update(retired_in=2013, successor=region("320104", "秦淮区"))
    message = refused("region", enterprise_create, user=world.users["province_admin"], uscc=make_uscc("320103"),
                      name="丙", region=Region.objects.get(pk=baixia.pk))
    assert "秦淮区" in message and "2013" in message


def test_facts_attach_only_to_enterprises_of_the_region(world):
    staff = world.users["region_staff"]
    refused("enterprise", metrics_create, user=staff, enterprise=world.other.enterprise, fiscal_year=2020)
    assert not AnnualMetrics.objects.filter(enterprise=world.other.enterprise, fiscal_year=2020).exists()


def test_city_staff_prepare_candidates_and_the_province_publishes(world):
    staff, province = world.users["region_staff"], world.users["province_staff"]
    enterprise = world.home.enterprise
    message = refused("status", designation_create, user=staff, enterprise=enterprise, tier=world.tier,
                      status="active", recognized_on="2025-06-01")
    assert "候选" in message
    candidate = designation_create(user=staff, enterprise=enterprise, tier=world.tier, status="candidate")
    refused("status", designation_update, designation=candidate, user=staff, status="publicized")
    designation_update(designation=candidate, user=province, status="publicized")
    refused("status", designation_update, designation=Designation.objects.get(pk=candidate.pk), user=staff,
            note="改")
    refused("status", designation_delete, designation=Designation.objects.get(pk=candidate.pk), user=staff)
    assert Designation.objects.get(pk=candidate.pk).status == "publicized"


def test_province_staff_save_ruleset_drafts_only(world):
    draft = Ruleset.objects.create(tier=world.tier, version="TEST-2", effective_from="2026-01-01", status="draft",
                                   reference="测试", definition=world.ruleset.definition)
    page = reverse("admin:tracker_ruleset_change", args=[draft.pk])
    data = {"tier": world.tier.pk, "version": "TEST-2", "status": "active", "mode": "any", "jurisdiction": "",
            "effective_from": "2026-01-01", "effective_to": "", "reference": "测试",
            "definition": '{"id": "root", "kind": "all", "label": {"zh": "x", "en": "x"}, "children": ['
                          '{"id": "t", "kind": "test", "label": {"zh": "x", "en": "x"}, "variable": "revenue", '
                          '"op": "gte", "threshold": 1}]}'}
    response = admin_client(world, "province_staff").post(page, data)
    assert response.status_code == 200 and "status" in response.context["adminform"].form.errors
    assert Ruleset.objects.get(pk=draft.pk).status == "draft"
    # Activation takes a finished preview of the revision stored (tests/admin/test_ruleset_preview_admin.py).
    RulesetPreview.objects.create(ruleset=draft, revision=draft.revision, status="done")
    response = admin_client(world, "province_admin").post(page, data)
    assert response.status_code == 302
    assert Ruleset.objects.get(pk=draft.pk).status == "active"


def test_a_city_user_cannot_start_a_full_recompute(world):
    user = user_with_perms("add_evaluationrun", "view_evaluationrun", "view_enterprise", region="320100")
    client = token_client(user)
    response = client.post("/api/v1/runs/", {}, format="json")
    assert response.status_code == 400 and "enterprises" in response.json()
    response = client.post("/api/v1/runs/", {"enterprises": [str(world.home.enterprise.pk)]}, format="json")
    assert response.status_code == 202


def test_the_admin_refuses_a_city_users_delete_of_a_published_designation_with_a_message(world):
    published = Designation.objects.create(enterprise=world.home.enterprise, tier=world.tier, status="publicized")
    client = admin_client(world, "region_staff")
    page = reverse("admin:tracker_designation_delete", args=[published.pk])
    response = client.post(page, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "候选" in " ".join(str(m) for m in response.context["messages"])
    candidate = world.home.designation
    response = client.post(
        reverse("admin:tracker_designation_changelist"),
        {"action": "delete_selected", "_selected_action": [candidate.pk, published.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert Designation.objects.filter(pk__in=[candidate.pk, published.pk]).count() == 2  # all or nothing
