"""Excel out: a changelist's export is what the changelist shows — its filters, search and the reader's
scope — in the official column order, money in 万元, read in chunks without model instances."""

import io
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.db.models.query import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.access.conftest import admin_client
from tests.factories import AnnualMetricsFactory, ClusterFactory, DesignationFactory
from tracker.admin import exports
from tracker.models import EligibilityResult

pytestmark = pytest.mark.django_db

OFFICIAL = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "设区市",
    "县（市、区）",
    "产业集群",
    "层级",
    "批次",
    "文号",
    "认定日期",
    "有效期至",
    "状态",
]


def export(world, persona: str, model: str, query: str = "", kind: str = "xlsx"):
    response = admin_client(world, persona).get(reverse(f"admin:tracker_{model}_export", args=[kind]) + query)
    assert response.status_code == 200, response.status_code
    assert response.streaming
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_designation_list_has_the_official_columns_in_order(world):
    headers, rows = export(world, "province_staff", "designation")
    assert headers == OFFICIAL
    assert {row["设区市"] for row in rows} == {"南京市", "苏州市"}
    home = next(row for row in rows if row["统一社会信用代码"] == world.home.enterprise.uscc)
    assert home["县（市、区）"] == "玄武区"
    assert home["批次"] == "2026年第一批"
    assert home["状态"] == "候选"
    assert [row["序号"] for row in rows] == [1, 2]


@pytest.mark.parametrize("model", ["enterprise", "annualmetrics", "designation", "eligibilityresult", "tierchange"])
def test_a_city_user_exports_only_their_city(world, model):
    _headers, rows = export(world, "region_staff", model)
    assert [row["企业名称"] for row in rows] == [world.home.enterprise.name]
    assert rows[0]["设区市"] == "南京市"
    _headers, rows = export(world, "province_staff", model)
    assert len(rows) == 2


def test_the_export_follows_the_changelist_filters_and_search(world):
    _headers, rows = export(world, "province_staff", "eligibilityresult", "?region=320500")
    assert [row["企业名称"] for row in rows] == [world.other.enterprise.name]
    _headers, rows = export(world, "province_staff", "enterprise", f"?q={world.home.enterprise.uscc[:12]}")
    assert [row["统一社会信用代码"] for row in rows] == [world.home.enterprise.uscc]
    _headers, rows = export(world, "province_staff", "eligibilityresult", "?status=eligible")
    assert rows == []


def test_an_enterprise_lists_its_clusters_and_the_tiers_it_holds_today(world):
    home = world.home.enterprise
    home.memberships.create(cluster=ClusterFactory(code="a-first", name_zh="首个集群"))
    DesignationFactory(enterprise=home, tier=world.tier, status="active")  # held; the candidate is not
    _headers, rows = export(world, "region_staff", "enterprise")
    assert rows[0]["产业集群"] == f"首个集群、{world.cluster.name_zh}"  # by cluster code
    assert rows[0]["已认定层级"] == world.tier.name_zh
    _headers, rows = export(world, "province_staff", "enterprise", f"?q={world.other.enterprise.uscc}")
    assert (rows[0]["产业集群"], rows[0]["已认定层级"]) == (world.cluster.name_zh, None)  # none held: empty


def test_money_is_in_wan_yuan(world):
    AnnualMetricsFactory(enterprise=world.home.enterprise, fiscal_year=2024, revenue=Decimal("123456789.00"))
    headers, rows = export(world, "province_staff", "annualmetrics", "?fiscal_year=2024")
    assert headers[:6] == ["序号", "企业名称", "统一社会信用代码", "设区市", "县（市、区）", "年度"]
    assert rows[0]["营业收入（万元）"] == pytest.approx(12345.68)
    assert rows[0]["年度"] == 2024


def test_results_name_their_failing_criteria_and_gaps_have_one_row_per_criterion(world):
    _headers, rows = export(world, "region_staff", "eligibilityresult")
    assert rows[0]["未达标条件"] == "营业收入不低于1亿元"
    headers, rows = export(world, "region_staff", "eligibilityresult", kind="gaps")
    assert headers[-4:] == ["条件", "实际值", "要求", "差距"]
    assert rows == [rows[0]]
    assert rows[0]["条件"] == "营业收入不低于1亿元"
    assert rows[0]["实际值"] == "5,000.00 万元"  # the stored revenue of the result's year
    assert rows[0]["要求"] == "≥ 1.00 亿元"
    assert rows[0]["差距"] == "5,000.00 万元"


def test_an_unknown_export_is_not_found(world):
    url = reverse("admin:tracker_enterprise_export", args=["nothing"])
    assert admin_client(world, "province_staff").get(url).status_code == 404


def test_an_export_reads_plain_rows_in_chunks_with_a_bounded_number_of_queries(world, monkeypatch):
    """No model instance is built, rows come through a chunked iterator, and the number of queries
    does not grow with the rows (one per chunk at most, for the rulesets the criteria are decoded with)."""
    monkeypatch.setattr(exports, "CHUNK_ROWS", 1)
    chunk_sizes = []
    real_iterator = QuerySet.iterator

    def spy(self, chunk_size=None):
        chunk_sizes.append(chunk_size)
        return real_iterator(self, chunk_size=chunk_size)

    client = admin_client(world, "province_staff")
    url = reverse("admin:tracker_eligibilityresult_export", args=["xlsx"])
    client.get(reverse("admin:tracker_eligibilityresult_changelist"))  # the session and scope warmed up
    with (
        mock.patch.object(QuerySet, "iterator", spy),
        mock.patch.object(EligibilityResult, "from_db", side_effect=AssertionError("a model instance")),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(url)
        content = b"".join(response.streaming_content)
    assert chunk_sizes == [1]
    assert len(list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows())) == 3
    # The rulesets are read once per chunk of rows; the rest (session, user, scope, the changelist's
    # filters and the current year it shows by default, the capped count that decides between this
    # response and a background job, the cursor over the rows; no page) does not depend on the rows.
    per_chunk = [q for q in queries.captured_queries if 'FROM "tracker_ruleset"' in q["sql"]]
    assert len(per_chunk) == 2
    assert len(queries) - len(per_chunk) <= 11, "\n".join(q["sql"][:150] for q in queries.captured_queries)
