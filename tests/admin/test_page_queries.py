"""Every kind of admin page costs a bounded number of queries, the same for a few rows as for many: no
query per row of a list, per year or result of an enterprise, per candidate of a batch, per chunk of a
run. Read as a province user and as a city user (figures at a million enterprises: docs/benchmarks.md,
"Admin pages at 1M"; the pages are those ``manage.py bench_admin`` times)."""

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.admin.conftest import DEFINITION
from tests.factories import (
    AnnualMetricsFactory,
    ChainSegmentFactory,
    ClusterFactory,
    DesignationFactory,
    EnterpriseFactory,
    TierFactory,
    UserFactory,
    region,
)
from tests.reports.frames import city_frame, province_frame
from tracker.models import (
    DesignationBatch,
    EligibilityResult,
    EvaluationRun,
    Ruleset,
    RunChunk,
    TierChange,
    TierReport,
)
from tracker.services.roles import role_grant, roles_ensure

pytestmark = pytest.mark.django_db

HOME, OTHER = "320102", "320506"  # 玄武区 (南京市, the city user's), 吴中区 (苏州市)
YEAR = 2025
A = "/admin/tracker"

# (page, URL, most queries one request may make). {…} are filled from the world, per reader: {region}
# is 南京市 for the province user and 玄武区 for the city user (the choices each one's filter offers).
PAGES = [
    ("home", "/admin/", 9),
    ("enterprises", f"{A}/enterprise/", 12),
    ("enterprises · region + held tier", f"{A}/enterprise/?region={{region}}&designated=specialized_sme", 13),
    ("enterprises · cluster", f"{A}/enterprise/?cluster={{cluster}}", 12),
    ("enterprises · archived", f"{A}/enterprise/?archived=true", 11),
    ("enterprises · search name", f"{A}/enterprise/?q=恒达", 12),
    ("enterprises · search USCC", f"{A}/enterprise/?q=91320", 12),
    ("enterprise page", f"{A}/enterprise/{{enterprise}}/change/", 16),
    ("enterprise history", f"{A}/enterprise/{{enterprise}}/history/", 11),
    ("metrics", f"{A}/annualmetrics/", 9),
    ("metrics · year + region", f"{A}/annualmetrics/?fiscal_year={YEAR}&region={{region}}", 10),
    ("metrics · search", f"{A}/annualmetrics/?q=恒达", 9),
    ("metrics page", f"{A}/annualmetrics/{{metrics}}/change/", 9),
    ("designations", f"{A}/designation/", 11),
    ("designations · tier + status + region",
     f"{A}/designation/?tier=specialized_sme&status=active&region={{region}}", 12),
    ("designations · due soon + cluster", f"{A}/designation/?due=soon&cluster={{cluster}}", 11),
    ("designations · search", f"{A}/designation/?q=恒达", 11),
    ("designation page", f"{A}/designation/{{designation}}/change/", 11),
    ("results", f"{A}/eligibilityresult/", 13),
    ("results · tier + region + near miss",
     f"{A}/eligibilityresult/?tier=specialized_sme&region={{region}}&near_miss=1", 13),
    ("results · county + tier", f"{A}/eligibilityresult/?{{county}}&tier=little_giant", 15),
    ("results · eligible not designated",
     f"{A}/eligibilityresult/?status=eligible&designated=0&region={{region}}", 13),
    ("results · cluster + date", f"{A}/eligibilityresult/?cluster={{cluster}}&evaluated_at__gte={{week}}", 13),
    ("results · year", f"{A}/eligibilityresult/?fiscal_year={YEAR}", 13),
    ("results · search", f"{A}/eligibilityresult/?q=恒达", 13),
    ("result page (explanation)", f"{A}/eligibilityresult/{{result}}/change/", 13),
    ("tier changes", f"{A}/tierchange/", 13),
    ("tier changes · tier + change + region", f"{A}/tierchange/?tier=specialized_sme&change=lost&region={{region}}", 12),
    ("tier changes · near miss + status", f"{A}/tierchange/?near_miss=1&to_status=not_eligible", 13),
    ("tier changes · cluster + date", f"{A}/tierchange/?cluster={{cluster}}&created_at__gte={{week}}", 13),
    ("tier changes · search", f"{A}/tierchange/?q=恒达", 13),
    ("tier change page", f"{A}/tierchange/{{change}}/change/", 10),
    ("report page", f"{A}/tierreport/{{report}}/change/", 11),  # + the reader's subscription to its scope
    ("reports", f"{A}/tierreport/", 11),
    ("batch page", f"{A}/designationbatch/{{batch}}/change/", 13),
    ("batches", f"{A}/designationbatch/", 10),
    ("import jobs", f"{A}/importjob/", 8),
    ("rulesets", f"{A}/ruleset/", 8),
    ("ruleset page", f"{A}/ruleset/{{ruleset}}/change/", 6),
    ("clusters", f"{A}/cluster/", 7),
    ("cluster page", f"{A}/cluster/{{cluster}}/change/", 7),
]
PROVINCE_ONLY = [
    ("runs", f"{A}/evaluationrun/", 8),
    ("run page", f"{A}/evaluationrun/{{run}}/change/", 7),
]


class World:
    """A small province: enterprises in 南京 (the city user's) and in 苏州, each with metrics, a held
    title, results of two tiers and a tier change; ``grow`` adds more of everything, including to the
    rows the change pages show."""

    def __init__(self):
        for code, name in [("320000", "江苏省"), ("320100", "南京市"), (HOME, "玄武区"), ("320500", "苏州市"),
                           (OTHER, "吴中区")]:
            region(code, name)
        self.tiers = [TierFactory(), TierFactory(code="little_giant", name_zh="专精特新“小巨人”企业", ladder_order=3)]
        self.rulesets = [
            Ruleset.objects.create(tier=tier, version="TEST-1", effective_from="2022-01-01", status="active",
                                   reference="测试", definition=DEFINITION)
            for tier in self.tiers
        ]
        self.run = EvaluationRun.objects.create(kind="nightly", as_of=dt.date(2026, 6, 30), fiscal_year=YEAR,
                                                status="succeeded", finished_at=timezone.now())
        RunChunk.objects.create(run=self.run, first_id=1, last_id=5, status="done")
        self.cluster = ClusterFactory()
        self.batch = DesignationBatch.objects.create(kind="new", tier=self.tiers[0], year=2026, name="2026年第一批")
        self.report = {
            "320000": TierReport.objects.create(**self._report(province_frame(), "320000")),
            "320100": TierReport.objects.create(**self._report(city_frame(), "320100")),
        }
        self.serial = 0
        self.enterprise = self.add_enterprise(HOME)
        self.add_enterprise(OTHER)
        roles_ensure()
        self.users = {}
        for name, role, office in (("province", "province_staff", None), ("city", "region_staff", "320100")):
            user = UserFactory(username=f"reader_{name}", is_staff=True)
            role_grant(user=user, role=role, region=region(office) if office else None, unit="测试单位")
            self.users[name] = user

    @staticmethod
    def _report(frame, code) -> dict:
        return {"report_date": frame.report_date, "region": region(code), "data_date": frame.data_date,
                "stale": frame.stale, "content": frame.to_json(), "built_at": timezone.now()}

    def add_enterprise(self, code: str):
        self.serial += 1
        enterprise = EnterpriseFactory(region=region(code), name=f"南京恒达精密{self.serial}有限公司")
        self.add_rows(enterprise)
        return enterprise

    def add_rows(self, enterprise):
        """What an enterprise carries: a membership, metrics, a held title due soon, a candidacy in the
        batch, results of both tiers (a near miss among them) and a tier change."""
        enterprise.memberships.create(cluster=self.cluster, segment=ChainSegmentFactory(cluster=self.cluster))
        AnnualMetricsFactory(enterprise=enterprise, fiscal_year=YEAR)
        DesignationFactory(enterprise=enterprise, tier=self.tiers[0], status="active",
                           valid_until=timezone.localdate() + dt.timedelta(days=30))
        DesignationFactory(enterprise=enterprise, tier=self.tiers[1], status="candidate",
                           designation_batch=self.batch, batch=self.batch.name)
        self.add_results(enterprise, YEAR)
        TierChange.objects.create(enterprise=enterprise, tier=self.tiers[1], fiscal_year=YEAR, change="lost",
                                  from_status="eligible", to_status="not_eligible", run=self.run)

    def add_results(self, enterprise, year: int):
        for tier, ruleset, status in zip(self.tiers, self.rulesets, ["eligible", "not_eligible"], strict=True):
            EligibilityResult.objects.create(
                enterprise=enterprise, tier=tier, fiscal_year=year, status=status,
                near_miss=status == "not_eligible", failing_count=1, shortfall=0.05, ruleset=ruleset,
                failed_nodes=b"\x03", input_hash=1, run=self.run, evaluated_at=timezone.now(),
            )

    def grow(self):
        """Five more enterprises in each city, four more years for the enterprise the pages show, more
        chunks for the run and segments for the cluster."""
        for code in (HOME, OTHER):
            for _ in range(5):
                self.add_enterprise(code)
        for year in range(YEAR - 4, YEAR):  # the enterprise the pages show: more years of everything
            AnnualMetricsFactory(enterprise=self.enterprise, fiscal_year=year)
            self.add_results(self.enterprise, year)
            DesignationFactory(enterprise=self.enterprise, tier=self.tiers[1], status="expired",
                               recognized_on=dt.date(year - 8, 1, 1), valid_until=dt.date(year - 6, 1, 1))
        other = ClusterFactory()
        self.enterprise.memberships.create(cluster=other, segment=ChainSegmentFactory(cluster=other))
        for n in range(5):
            RunChunk.objects.create(run=self.run, first_id=n * 10 + 10, last_id=n * 10 + 19, status="done")

    def names(self, reader: str) -> dict:
        city = reader == "city"
        result = EligibilityResult.objects.get(enterprise=self.enterprise, tier=self.tiers[1], fiscal_year=YEAR)
        return {
            "region": HOME if city else "320100",
            "county": f"region={HOME}" if city else f"region=320100&county={HOME}",
            "cluster": self.cluster.pk,
            "week": (timezone.localdate() - dt.timedelta(days=7)).isoformat(),
            "enterprise": self.enterprise.pk,
            "metrics": self.enterprise.metrics.get(fiscal_year=YEAR).pk,
            "designation": self.enterprise.designations.filter(status="active").first().pk,
            "result": result.pk,
            "change": TierChange.objects.filter(enterprise=self.enterprise).first().pk,
            "report": self.report["320100" if city else "320000"].pk,
            "batch": self.batch.pk,
            "ruleset": self.rulesets[0].pk,
            "run": self.run.pk,
        }


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield World()
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world, db) -> World:
    return _module_world  # each test runs in a savepoint: what it grows is gone for the next one


def queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return [q["sql"] for q in context.captured_queries]


def reader_cases() -> list:
    return [
        pytest.param(reader, url, budget, id=f"{reader}: {page}")
        for reader in ("province", "city")
        for page, url, budget in PAGES + (PROVINCE_ONLY if reader == "province" else [])
    ]


@pytest.mark.parametrize(("reader", "url", "budget"), reader_cases())
def test_a_page_costs_the_same_queries_for_few_rows_or_many_and_stays_in_budget(world, reader, url, budget):
    client = Client()
    client.force_login(world.users[reader])
    queries(client, url.format(**world.names(reader)))  # warm the per-process caches (content types)
    few = queries(client, url.format(**world.names(reader)))
    world.grow()
    many = queries(client, url.format(**world.names(reader)))
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= budget, "\n".join(many)


BIG_LISTS = ("enterprise", "annualmetrics", "designation", "eligibilityresult", "tierchange")


def big_list_cases() -> list:
    return [case for case in reader_cases() if re.match(rf"{A}/({'|'.join(BIG_LISTS)})/(\?|$)", case.values[1])]


@pytest.mark.parametrize(("reader", "url", "budget"), big_list_cases())
def test_a_list_of_a_big_table_never_counts_every_row_nor_deduplicates_them(world, reader, url, budget):
    client = Client()
    client.force_login(world.users[reader])
    sql = queries(client, url.format(**world.names(reader)))
    assert not [q for q in sql if re.search(r"\bDISTINCT\b", q, re.IGNORECASE)]
    if connection.vendor == "postgresql":  # elsewhere the paginator counts exactly (a demo's few thousand rows)
        counts = [q for q in sql if "COUNT(" in q.upper() and "django_session" not in q]
        assert counts and all("LIMIT 1001" in q for q in counts), counts
