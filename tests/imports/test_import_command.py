"""import_xlsx: the same imports from the command line, non-zero exit when rows are rejected."""

import datetime as dt
import types
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from tests.factories import AnnualMetricsFactory, EnterpriseFactory
from tests.imports.conftest import workbook
from tracker.imports import metrics as metrics_import
from tracker.models import AnnualMetrics, ImportJob
from tracker.services import bulk_rows

HEADERS = ["统一社会信用代码", "企业名称", "年度", "营业收入（万元）", "从业人员（人）"]


@pytest.fixture
def firm(suzhou):
    return EnterpriseFactory(region=suzhou, founded_on=dt.date(2010, 1, 1))


@pytest.fixture(autouse=True)
def no_recompute(monkeypatch):
    monkeypatch.setattr("tracker.services.recompute_trigger.enqueue_enterprises", lambda enterprise_ids: None)


def test_template_option_writes_the_template(tmp_path, db):
    target = tmp_path / "t.xlsx"
    call_command("import_xlsx", "designations", "--template", str(target))
    assert [c.value for c in load_workbook(target).worksheets[0][1]][:4] == ["序号", "统一社会信用代码", "企业名称", "梯度层级"]


def test_dry_run_prints_counts_and_writes_nothing(tmp_path, firm, capsys):
    path = tmp_path / "m.xlsx"
    path.write_bytes(workbook(HEADERS, [firm.uscc, firm.name, 2025, 100, 10]))
    call_command("import_xlsx", "metrics", str(path), "--dry-run")
    assert "新增 1 行" in capsys.readouterr().out
    assert not AnnualMetrics.objects.exists()


def test_rejected_rows_exit_non_zero_naming_row_and_column(tmp_path, firm, capsys):
    path = tmp_path / "m.xlsx"
    path.write_bytes(workbook(HEADERS, [firm.uscc, firm.name, 2025, 100, 10], [firm.uscc, firm.name, 2024, "abc", 10]))
    with pytest.raises(CommandError) as error:
        call_command("import_xlsx", "metrics", str(path))
    assert error.value.returncode == 1
    assert "第 3 行：“营业收入（万元）”：“abc”不是数字。" in capsys.readouterr().out
    assert not AnnualMetrics.objects.exists()


def test_it_commits_through_the_portable_path_too(tmp_path, firm, monkeypatch):
    # The path SQLite takes (ORM bulk writes with history), exercised here on PostgreSQL.
    sqlite = types.SimpleNamespace(vendor="sqlite", in_atomic_block=True)
    monkeypatch.setattr(bulk_rows, "connection", sqlite)
    monkeypatch.setattr(metrics_import, "connection", sqlite)
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, employees=120, rd_staff=30)
    path = tmp_path / "m.xlsx"
    path.write_bytes(workbook(HEADERS, [firm.uscc, firm.name, 2025, 100, 10], [firm.uscc, firm.name, 2024, 5100, None]))
    call_command("import_xlsx", "metrics", str(path))
    assert AnnualMetrics.objects.get(fiscal_year=2024).revenue == Decimal("51000000.00")
    assert AnnualMetrics.objects.get(fiscal_year=2025).history.count() == 1
    assert ImportJob.objects.get().status == "committed"
