"""A small province for the access tests: 南京 (the home region of the city users) and 苏州 (another
region), one of every region-owned object in each (an import job by each city's office among them), a
designation batch with a candidate from each, and one user per role granted through the service."""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.api.conftest import token_client
from tests.factories import (
    AnnualMetricsFactory,
    ClusterFactory,
    DesignationFactory,
    EnterpriseFactory,
    TierFactory,
    UserFactory,
    make_uscc,
    region,
)
from tracker.models import (
    Designation,
    DesignationBatch,
    EligibilityResult,
    EvaluationRun,
    ImportJob,
    Role,
    Ruleset,
    TierChange,
)
from tracker.services.roles import role_grant, roles_ensure

HOME, OTHER = "320102", "320506"  # 玄武区 (南京市), 吴中区 (苏州市)
ROLES = [role.value for role in Role]
PROVINCE_ROLES = {"province_admin", "province_staff"}
RESTRICTED_ROLES = set(ROLES) - PROVINCE_ROLES  # their office is 南京市
STAFF_ROLES = {"province_admin", "province_staff", "region_staff", "read_only"}

DEFINITION = {
    "id": "root",
    "kind": "all",
    "label": {"zh": "认定标准", "en": "Standard"},
    "reference": "测试",
    "children": [
        {
            "id": "revenue_floor",
            "kind": "test",
            "label": {"zh": "营业收入不低于1亿元", "en": "Revenue at least CNY 100m"},
            "reference": "测试",
            "variable": "revenue",
            "op": "gte",
            "threshold": 100_000_000,
        }
    ],
}


@dataclass
class Place:
    """The region-owned objects registered in one county."""

    code: str
    enterprise: object = None
    metrics: object = None
    designation: object = None
    result: object = None
    change: object = None
    job: object = None  # an import by the office of the county's city


@dataclass
class World:
    tier: object
    cluster: object
    ruleset: object
    run: object
    home: Place
    other: Place
    batch: object = None  # a draft batch of new designations: the candidate of each place
    users: dict = field(default_factory=dict)

    def fresh_enterprise(self, code: str):
        return EnterpriseFactory(region=region(code), uscc=make_uscc(code))


def populate(place: Place, world: World) -> Place:
    place.enterprise = world.fresh_enterprise(place.code)
    place.enterprise.memberships.create(cluster=world.cluster)
    place.metrics = AnnualMetricsFactory(enterprise=place.enterprise, fiscal_year=2025, revenue=50_000_000)
    place.designation = DesignationFactory(enterprise=place.enterprise, tier=world.tier, status="candidate")
    place.result = EligibilityResult.objects.create(
        enterprise=place.enterprise,
        tier=world.tier,
        fiscal_year=2025,
        status="not_eligible",
        failing_count=1,
        shortfall=0.5,
        ruleset=world.ruleset,
        failed_nodes=b"\x03",
        input_hash=1,
        run=world.run,
        evaluated_at=timezone.now(),
    )
    place.change = TierChange.objects.create(
        enterprise=place.enterprise, tier=world.tier, fiscal_year=2025, change="lost", to_status="not_eligible"
    )
    place.job = ImportJob.objects.create(
        kind="metrics", status="previewed", original_name="年度更新.xlsx", file="imports/none.xlsx",
        region=region(place.code[:4] + "00"),
    )
    return place


def build_world() -> World:
    for code, name in [("320000", "江苏省"), ("320100", "南京市"), (HOME, "玄武区"), ("320500", "苏州市"), (OTHER, "吴中区")]:
        region(code, name)
    tier = TierFactory()
    ruleset = Ruleset.objects.create(
        tier=tier, version="TEST-1", effective_from="2022-01-01", status="active", reference="测试",
        definition=DEFINITION,
    )
    run = EvaluationRun.objects.create(
        kind="manual", as_of=dt.date(2026, 5, 1), fiscal_year=2025, status="succeeded",
        finished_at=timezone.now(),
    )
    world = World(tier=tier, cluster=ClusterFactory(), ruleset=ruleset, run=run, home=Place(HOME), other=Place(OTHER))
    populate(world.home, world)
    populate(world.other, world)
    world.batch = DesignationBatch.objects.create(kind="new", tier=tier, year=2026, name="2026年第一批")
    Designation.objects.filter(pk__in=[world.home.designation.pk, world.other.designation.pk]).update(
        designation_batch=world.batch, batch=world.batch.name
    )
    roles_ensure()
    for role in ROLES:
        user = UserFactory(username=role)
        office = None if role in PROVINCE_ROLES else region("320100")
        role_grant(user=user, role=role, region=office, unit="测试单位")
        world.users[role] = user
    world.users["no_role"] = UserFactory(username="no_role")
    world.users["staff_without_role"] = UserFactory(username="staff_without_role", is_staff=True)
    return world


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at the end; each test runs in a
    savepoint of it (pytest-django's own), so what a test writes is gone for the next one."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world, db) -> World:
    return _module_world


def api_client(world: World, persona: str):
    from rest_framework.test import APIClient

    if persona == "anonymous":
        return APIClient()
    return token_client(world.users[persona])  # a token created in the test's savepoint


def admin_client(world: World, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
