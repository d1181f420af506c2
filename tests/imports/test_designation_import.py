"""An official list of designations: tier, batch, 文号, dates, status; lifecycle and overlaps checked."""

import datetime as dt
import io

import pytest

from tests.factories import DesignationFactory, EnterpriseFactory, TierFactory
from tests.imports.conftest import workbook
from tracker import imports
from tracker.models import Designation
from tracker.services.import_writes import designations_write

TODAY = dt.date(2026, 6, 1)
HEADERS = ["统一社会信用代码", "企业名称", "梯度层级", "批次", "文号", "认定日期", "有效期至", "状态"]


def dry_run(content):
    return imports.dry_run("designations", io.BytesIO(content), today=TODAY)


@pytest.fixture
def firm(suzhou):
    TierFactory()
    return EnterpriseFactory(region=suzhou)


def test_it_creates_designations_with_validity_from_the_tier(firm):
    plan = dry_run(workbook(HEADERS, [firm.uscc, firm.name, "专精特新中小企业", "2024年第一批", "苏工信中小〔2024〕12号", "2024-06-01", None, None]))
    assert plan.error_lines() == [] and plan.counts()["new"] == 1
    designations_write(plan, user=None, reason="test")
    designation = Designation.objects.get()
    assert (designation.status, designation.valid_until, designation.document_no) == ("active", dt.date(2027, 5, 31), "苏工信中小〔2024〕12号")


def test_it_rejects_overlaps_bad_transitions_and_unknown_tiers(firm):
    DesignationFactory(enterprise=firm, status="active", recognized_on=dt.date(2024, 6, 1), valid_until=dt.date(2027, 5, 31), document_no="A")
    DesignationFactory(enterprise=firm, status="expired", recognized_on=dt.date(2019, 6, 1), valid_until=dt.date(2022, 5, 31), document_no="B")
    plan = dry_run(workbook(HEADERS,
        [firm.uscc, firm.name, "专精特新中小企业", "", "C", "2025-06-01", "2028-05-31", "有效"],
        [firm.uscc, firm.name, "专精特新中小企业", "", "", "2019-06-01", None, "有效"],
        [firm.uscc, firm.name, "瞪羚", "", "", "2025-06-01", None, None],
    ))
    lines = "\n".join(plan.error_lines())
    assert "第 2 行，“认定日期”：与已有的有效认定（A 2024-06-01 至 2027-05-31）有效期重叠。" in lines
    assert "第 3 行，“状态”：认定状态不能从“已到期”变为“有效”" in lines
    assert "第 4 行，“梯度层级”：未知的梯度层级“瞪羚”。" in lines


def test_a_matching_row_changes_only_its_filled_cells(firm):
    stored = DesignationFactory(enterprise=firm, status="active", recognized_on=dt.date(2024, 6, 1), valid_until=dt.date(2027, 5, 31), document_no="")
    plan = dry_run(workbook(HEADERS, [firm.uscc, firm.name, "specialized_sme", None, "苏工信中小〔2024〕12号", "2024-06-01", None, None]))
    assert plan.counts()["changed"] == 1 and plan.changes[0] == [("文号", "—", "苏工信中小〔2024〕12号")]
    designations_write(plan, user=None, reason="test")
    stored.refresh_from_db()
    assert stored.document_no == "苏工信中小〔2024〕12号" and stored.batch == "2024年第一批" and stored.status == "active"


def test_an_archived_enterprise_takes_no_new_designation_but_its_stored_ones_update(firm):
    DesignationFactory(enterprise=firm, status="active", recognized_on=dt.date(2024, 6, 1), valid_until=dt.date(2027, 5, 31), document_no="")
    firm.archived_at = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    firm.save()
    plan = dry_run(workbook(HEADERS,
        [firm.uscc, firm.name, "specialized_sme", None, "苏工信中小〔2024〕12号", "2024-06-01", None, None],
        [firm.uscc, firm.name, "specialized_sme", None, "苏工信中小〔2019〕1号", "2019-06-01", "2022-05-31", "已到期"],
    ))
    assert plan.counts()["changed"] == 1 and plan.counts()["rejected"] == 1
    assert any(line.startswith("第 3 行，“统一社会信用代码”：") and "已归档" in line for line in plan.error_lines())
