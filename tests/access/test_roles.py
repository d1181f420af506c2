"""Roles as groups made by bootstrap, granted with an office region by one service (admin and command),
each grant recorded."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, give_office, region
from tracker.models import Region, RoleGrant, UserOffice
from tracker.services.roles import ROLES, role_grant, role_revoke, roles_ensure, user_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def regions(db):
    province = region("320000", "江苏省")
    nanjing = region("320100", "南京市")
    xuanwu = region("320102", "玄武区")
    baixia = region("320103", "白下区")
    Region.objects.filter(pk=baixia.pk).update(retired_in=2013, successor=region("320104", "秦淮区"))
    return {"province": province, "nanjing": nanjing, "xuanwu": xuanwu, "baixia": Region.objects.get(pk=baixia.pk)}


def codenames(role: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()}


def test_bootstrap_creates_the_six_role_groups_and_is_idempotent(regions):
    first = roles_ensure()
    assert first["created"] == 6 and set(Group.objects.values_list("name", flat=True)) == set(ROLES)
    assert roles_ensure() == {"created": 0, "updated": 0, "unchanged": 6}
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    assert "role groups" in out.getvalue()


def test_a_permission_added_to_a_role_by_hand_is_taken_away_again(regions):
    roles_ensure()
    group = Group.objects.get(name="read_only")
    group.permissions.add(Permission.objects.get(codename="delete_enterprise"))
    assert roles_ensure()["updated"] == 1
    assert "tracker.delete_enterprise" not in codenames("read_only")


def test_what_each_role_may_do(regions):
    roles_ensure()
    assert "tracker.change_enterprise" not in codenames("read_only")
    assert "tracker.change_enterprise" in codenames("region_staff")
    assert "tracker.publish_designation" not in codenames("region_staff")
    assert "tracker.publish_designation" in codenames("province_staff")
    assert "tracker.publish_ruleset" not in codenames("province_staff")
    assert "tracker.change_ruleset" in codenames("province_staff")
    assert {"tracker.publish_ruleset", "tracker.delete_enterprise", "auth.change_user"} <= codenames("province_admin")
    # Building a tier report by hand is for staff: integrators read reports only.
    assert codenames("integrator_rw") == codenames("region_staff") - {"tracker.add_tierreport"}
    assert codenames("integrator_ro") == codenames("read_only")
    assert all("tracker.view_tierreport" in codenames(role) for role in ROLES)
    assert {role for role in ROLES if "tracker.add_tierreport" in codenames(role)} == {
        "province_admin", "province_staff", "region_staff"}


def test_a_grant_sets_one_role_the_office_and_an_audit_row(regions):
    admin = UserFactory(is_superuser=True)
    user = UserFactory()
    grant = role_grant(user=user, role="region_staff", region=regions["xuanwu"], unit="玄武区工信局", granted_by=admin)
    assert user_role(user) == "region_staff" and user.is_staff
    assert user.office.region == regions["xuanwu"] and user.office.unit == "玄武区工信局"
    assert (grant.role, grant.region, grant.granted_by) == ("region_staff", regions["xuanwu"], admin)
    role_grant(user=user, role="integrator_ro", region=regions["nanjing"])
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["integrator_ro"]
    assert not user.is_staff  # integrators use the API only
    assert user.has_perm("tracker.view_enterprise") and not user.has_perm("tracker.change_enterprise")
    assert RoleGrant.objects.filter(user=user).count() == 2


def test_province_roles_default_to_the_province(regions):
    user = UserFactory()
    role_grant(user=user, role="province_staff")
    assert user.office.region == regions["province"]


@pytest.mark.parametrize(
    ("role", "region_key", "field"),
    [
        ("region_staff", "province", "region"),  # a city or a county, not the province
        ("province_admin", "nanjing", "region"),
        ("read_only", None, "region"),  # must be given
        ("region_staff", "baixia", "region"),  # retired code
        ("mayor", "nanjing", "role"),
    ],
)
def test_a_grant_that_does_not_fit_is_refused_naming_the_field(regions, role, region_key, field):
    user = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        role_grant(user=user, role=role, region=regions[region_key] if region_key else None)
    assert field in excinfo.value.message_dict
    assert not RoleGrant.objects.exists() and not UserOffice.objects.exists()


def test_only_users_who_may_change_users_grant_roles(regions):
    clerk = UserFactory()
    give_office(clerk, "320100")
    with pytest.raises(ValidationError):
        role_grant(user=UserFactory(), role="read_only", region=regions["nanjing"], granted_by=clerk)


def test_a_revocation_leaves_the_account_seeing_nothing_and_is_recorded(regions):
    user = UserFactory()
    role_grant(user=user, role="read_only", region=regions["nanjing"])
    role_revoke(user=user, note="调岗")
    user.refresh_from_db()
    assert user_role(user) is None and not UserOffice.objects.filter(user=user).exists() and not user.is_staff
    assert RoleGrant.objects.filter(user=user).first().role == ""


def test_the_grant_role_command(regions):
    user = UserFactory(username="nj_staff")
    out = io.StringIO()
    call_command("grant_role", "nj_staff", "region_staff", "--region", "320100", "--unit", "南京市工信局", stdout=out)
    assert "南京市" in out.getvalue()
    assert user_role(user) == "region_staff" and UserOffice.objects.get(user=user).unit == "南京市工信局"
    with pytest.raises(CommandError, match="不存在"):
        call_command("grant_role", "nobody", "read_only", "--region", "320100")
    with pytest.raises(CommandError, match="320199"):
        call_command("grant_role", "nj_staff", "read_only", "--region", "320199")
    with pytest.raises(CommandError, match="region"):
        call_command("grant_role", "nj_staff", "region_staff", "--region", "320000")
    call_command("grant_role", "nj_staff", "none", stdout=io.StringIO())
    assert user_role(user) is None


def test_the_command_creates_an_account_when_asked(regions):
    out = io.StringIO()
    call_command("grant_role", "wz_reader", "read_only", "--region", "320100", "--create", stdout=out)
    password = out.getvalue().split("初始密码：")[1].split("（")[0]
    user = get_user_model().objects.get(username="wz_reader")
    assert user.check_password(password) and user_role(user) == "read_only"


def test_the_user_page_sets_role_and_region_through_the_service(regions):
    roles_ensure()
    operator = UserFactory(username="operator")
    role_grant(user=operator, role="province_admin")
    user = UserFactory(username="nj_reader")
    client = Client()
    client.force_login(operator)
    page = reverse("admin:auth_user_change", args=[user.pk])
    form = client.get(page).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields if name not in ("password",)}
    data.update({"role": "read_only", "region": regions["nanjing"].pk, "unit": "南京市审计局", "note": "年度审计",
                 "is_active": "on", "last_login": "", "date_joined": ""})
    data = {k: v for k, v in data.items() if k not in ("is_staff", "last_login", "date_joined")}
    response = client.post(page, {**data, **_inline_management()})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    grant = RoleGrant.objects.get(user=user)
    assert (grant.role, grant.region, grant.granted_by, grant.note) == ("read_only", regions["nanjing"], operator,
                                                                       "年度审计")
    # A role that does not fit the region is a form error, and nothing is granted.
    response = client.post(page, {**data, "role": "province_staff", **_inline_management()})
    assert response.status_code == 200 and "region" in response.context["adminform"].form.errors
    assert RoleGrant.objects.filter(user=user).count() == 1


def test_superusers_are_out_of_reach_of_other_users(regions):
    roles_ensure()
    operator = UserFactory()
    role_grant(user=operator, role="province_admin")
    root = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(operator)
    response = client.get(reverse("admin:auth_user_change", args=[root.pk]))
    assert response.status_code == 302  # not found, back to the index
    listed = client.get(reverse("admin:auth_user_changelist")).context["cl"].result_list
    assert root not in listed and operator in listed


def _inline_management() -> dict:
    prefix = "role_grants"
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000"}
