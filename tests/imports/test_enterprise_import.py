"""Enterprises with their cluster memberships, from a workbook laid out like an official list."""

import datetime as dt
import io

import pytest

from tests.factories import ChainSegmentFactory, ClusterFactory, EnterpriseFactory, make_uscc
from tests.imports.conftest import workbook
from tracker import imports
from tracker.models import ClusterMembership, Enterprise
from tracker.services.import_writes import enterprises_write

TODAY = dt.date(2026, 6, 1)
HEADERS = ["序号", "统一社会信用代码", "企业名称", "设区市", "县（市、区）", "成立日期", "是否上市", "所属产业集群", "产业链环节"]


def dry_run(content):
    return imports.dry_run("enterprises", io.BytesIO(content), today=TODAY)


@pytest.fixture
def cluster(db):
    cluster = ClusterFactory(name_zh="高端装备", code="high-end-equipment")
    ChainSegmentFactory(cluster=cluster, name="关键零部件")
    return cluster


def test_it_creates_enterprises_with_region_and_memberships(suzhou, cluster, django_capture_on_commit_callbacks):
    code = make_uscc("320583")
    plan = dry_run(workbook(HEADERS, [1, code, "昆山示例科技有限公司", "苏州市", "昆山市", "2015-03-02", "否", "高端装备", "关键零部件"],
                            title_lines=["2026年企业信息"]))
    assert plan.error_lines() == [] and plan.counts()["new"] == 1
    enterprises_write(plan, user=None, reason="test")
    firm = Enterprise.objects.get(uscc=code)
    assert firm.region.name == "昆山市" and firm.founded_on == dt.date(2015, 3, 2) and firm.sector == "industry"
    membership = ClusterMembership.objects.get(enterprise=firm)
    assert membership.cluster == cluster and membership.segment.name == "关键零部件"
    assert firm.history.first().history_type == "+"


def test_it_rejects_unknown_city_county_cluster_and_check_digit(suzhou, cluster):
    good = make_uscc("320500")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    plan = dry_run(workbook(HEADERS,
        [1, make_uscc("320500"), "甲公司", "苏洲市", "", "", "", "", ""],
        [2, make_uscc("320500"), "乙公司", "苏州市", "鼓楼区", "", "", "", ""],
        [3, make_uscc("320500"), "丙公司", "苏州市", "", "", "", "未来网络", ""],
        [4, bad, "丁公司", "苏州市", "", "", "", "", ""],
        [5, make_uscc("320500"), "", "苏州市", "", "", "", "", ""],
    ))
    lines = "\n".join(plan.error_lines())
    assert "第 2 行，“设区市”：未知的设区市“苏洲市”。" in lines
    assert "第 3 行，“县（市、区）”：“鼓楼区”不是苏州市下辖的县（市、区）。" in lines
    assert "第 4 行，“所属产业集群”：未知的产业集群“未来网络”。" in lines
    assert "第 5 行，“统一社会信用代码”：统一社会信用代码校验位不正确" in lines
    assert "第 6 行，“企业名称”：新增企业必须填写。" in lines


def test_model_rules_apply_to_the_row_as_stored(suzhou, cluster):
    firm = EnterpriseFactory(region=suzhou, founded_on=dt.date(2012, 5, 1), listed=False)
    plan = dry_run(workbook(["统一社会信用代码", "上市日期"], [firm.uscc, "2020-01-01"]))
    assert plan.error_lines() == ["第 2 行，“上市日期”：未上市企业不应填写上市日期。"]


def test_changes_show_before_and_after_and_empty_cells_keep_values(suzhou, cluster):
    firm = EnterpriseFactory(region=suzhou, name="旧名称有限公司", main_product="齿轮")
    plan = dry_run(workbook(["统一社会信用代码", "企业名称", "主导产品", "所属产业集群"], [firm.uscc, "新名称有限公司", None, "高端装备"]))
    assert plan.counts()["changed"] == 1
    assert ("企业名称", "旧名称有限公司", "新名称有限公司") in plan.changes[0]
    assert ("所属产业集群", "—", "高端装备") in plan.changes[0]
    enterprises_write(plan, user=None, reason="test")
    firm.refresh_from_db()
    assert firm.name == "新名称有限公司" and firm.main_product == "齿轮"
    assert firm.memberships.get().cluster == cluster


def test_an_archived_enterprises_clusters_stay_but_its_profile_updates(suzhou, cluster):
    firm = EnterpriseFactory(region=suzhou, name="已归档装备有限公司", main_product="齿轮",
                             archived_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    plan = dry_run(workbook(["统一社会信用代码", "主导产品", "所属产业集群"], [firm.uscc, "轴承", "高端装备"]))
    assert plan.error_lines() == [
        "第 2 行，“所属产业集群”：“已归档装备有限公司”已归档（不在册），不能更改其所属集群；请先恢复该企业。"
    ]
    plan = dry_run(workbook(["统一社会信用代码", "主导产品"], [firm.uscc, "轴承"]))
    assert plan.error_lines() == [] and plan.counts()["changed"] == 1
    enterprises_write(plan, user=None, reason="test")
    firm.refresh_from_db()
    assert firm.main_product == "轴承" and not firm.memberships.exists()
