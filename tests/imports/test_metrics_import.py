"""The yearly data update: a metrics workbook, dry run first, then all rows or none."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.factories import AnnualMetricsFactory, EnterpriseFactory, UserFactory, make_uscc
from tests.imports.conftest import workbook
from tracker import imports
from tracker.models import AnnualMetrics, ImportJob
from tracker.services.imports import import_job_commit, import_job_create, import_job_validate

TODAY = dt.date(2026, 6, 1)
HEADERS = ["序号", "统一社会信用代码", "企业名称", "年度", "营业收入（万元）", "研发费用（万元）", "从业人员（人）", "研发人员（人）"]


def dry_run(content: bytes):
    return imports.dry_run("metrics", io.BytesIO(content), today=TODAY)


@pytest.fixture
def firm(db, suzhou):
    return EnterpriseFactory(region=suzhou, name="苏州甲科技有限公司", founded_on=dt.date(2010, 1, 1))


def test_it_classifies_new_changed_and_unchanged_rows(firm):
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, rd_expense=2_500_000, employees=120, rd_staff=30)
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2023, main_business_revenue=None, revenue=40_000_000, rd_expense=2_000_000, employees=100, rd_staff=20)
    plan = dry_run(workbook(HEADERS,
        [1, firm.uscc, firm.name, 2025, 6000, 300, 130, 31],
        [2, firm.uscc, firm.name, 2024, 5200, None, None, None],
        [3, firm.uscc, firm.name, 2023, 4000, 200, 100, 20],
    ))
    assert plan.error_lines() == []
    assert plan.counts() == {"new": 1, "changed": 1, "unchanged": 1, "rejected": 0}
    assert plan.changes[1] == [("营业收入（万元）", "5,000.00", "5,200.00")]


def test_it_names_row_column_and_reason_for_each_rejected_cell(firm):
    bad_digit = firm.uscc[:17] + ("0" if firm.uscc[17] != "0" else "1")
    plan = dry_run(workbook(HEADERS,
        [1, bad_digit, "", 2025, 100, 1, 10, 1],
        [2, firm.uscc, firm.name, 2031, 100, 1, 10, 1],
        [3, firm.uscc, firm.name, 2025, "一百", 1, 10, 20],
        [4, make_uscc("320500"), "", 2025, 100, 1, 10, 1],
    ))
    lines = plan.error_lines()
    assert any(line.startswith("第 2 行，“统一社会信用代码”：统一社会信用代码校验位不正确") for line in lines)
    assert "第 3 行，“年度”：年度不能晚于 2026 年。" in lines
    assert "第 4 行，“营业收入（万元）”：“一百”不是数字。" in lines
    assert "第 4 行，“研发人员（人）”：研发人员不能多于从业人员。" in lines
    assert any(line.startswith("第 5 行，“统一社会信用代码”：系统中没有") for line in lines)
    assert plan.counts()["rejected"] == 4


def test_it_catches_yuan_entered_where_wan_is_asked(firm):
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, employees=120, rd_staff=30)
    # 5,600 万元 typed as 56,000,000 (元) into the 万元 column.
    plan = dry_run(workbook(HEADERS, [1, firm.uscc, firm.name, 2025, 56_000_000, None, 120, None]))
    messages = [m for _h, m in plan.errors[0]]
    assert any("元填成了万元" in m or "单位" in m for m in messages)
    confirmed = dry_run(workbook([*HEADERS, "数据已核实"], [1, firm.uscc, firm.name, 2025, 56_000_000, None, 120, None, "是"]))
    assert not confirmed.errors


def test_it_rejects_duplicate_rows_naming_both(firm):
    plan = dry_run(workbook(HEADERS, [1, firm.uscc, firm.name, 2025, 100, 1, 10, 1], [2, firm.uscc, firm.name, 2025, 200, 1, 10, 1]))
    assert plan.counts()["rejected"] == 2
    assert "（第 2、3 行）" in plan.errors[0][0][1]


def test_a_header_in_yuan_is_a_file_error(firm):
    plan = dry_run(workbook(["统一社会信用代码", "年度", "营业收入（元）"], [firm.uscc, 2025, 56_000_000]))
    assert plan.sheet.file_errors and "营业收入（万元）" in plan.sheet.file_errors[0]
    assert not plan.committable


def test_a_long_numeric_code_is_caught(firm):
    plan = dry_run(workbook(HEADERS, [1, 913205001234567890, "", 2025, 100, 1, 10, 1]))
    assert "存成了数字" in plan.errors[0][0][1]


def test_the_template_reads_back_with_headers_example_and_guide():
    content = imports.template_workbook("metrics")
    book = load_workbook(io.BytesIO(content))
    data, guide = book.worksheets
    headers = [c.value for c in data[1]]
    assert headers[:4] == ["序号", "统一社会信用代码", "企业名称", "年度"]
    assert "营业收入（万元）" in headers and "细分市场占有率（%）" in headers
    assert data["A2"].value == "示例"
    assert guide.title == "填写说明"
    assert guide.max_row > len(headers)


def test_the_template_example_row_is_skipped(db):
    plan = imports.dry_run("metrics", io.BytesIO(imports.template_workbook("metrics")), today=TODAY)
    assert plan.sheet.n == 0


def test_commit_writes_everything_with_history_and_one_run(firm, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("tracker.services.recompute_trigger.enqueue_enterprises", lambda enterprise_ids: queued.append(enterprise_ids))
    other = EnterpriseFactory(region=firm.region, name="苏州乙科技有限公司")
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, employees=120, rd_staff=30)
    user = UserFactory(username="importer", is_superuser=True, is_staff=True)
    content = workbook(HEADERS, [1, firm.uscc, firm.name, 2024, 5200.5, None, None, None], [2, other.uscc, other.name, 2025, 800, 40, 30, 5])
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(kind="metrics", name="更新.xlsx", content=content, user=user)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED and (job.new_count, job.changed_count) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        import_job_commit(job=job, user=user)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED and job.committed_by == user
    updated = AnnualMetrics.objects.get(enterprise=firm, fiscal_year=2024)
    assert updated.revenue == Decimal("52005000.00") and updated.employees == 120 and updated.source == "imported"
    created = AnnualMetrics.objects.get(enterprise=other, fiscal_year=2025)
    assert created.rd_expense == Decimal("400000.00") and created.main_business_revenue is None
    assert updated.history.first().history_user == user and created.history.first().history_type == "+"
    assert queued == [sorted([firm.pk, other.pk])]


def test_commit_with_a_rejected_row_writes_nothing(firm):
    content = workbook(HEADERS, [1, firm.uscc, firm.name, 2025, 100, 1, 10, 1], [2, firm.uscc, firm.name, 2031, 100, 1, 10, 1])
    job = ImportJob(kind="metrics", original_name="x.xlsx")
    from django.core.files.base import ContentFile

    job.file.save("x.xlsx", ContentFile(content), save=True)
    job = import_job_validate(job=job)
    assert job.rejected_count == 1 and job.rejected_file
    book = load_workbook(job.rejected_file.path)
    assert book.worksheets[0]["A2"].value == 3
    import_job_commit(job=job)
    assert not AnnualMetrics.objects.exists()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PREVIEWED


def test_commit_refuses_when_data_moved_since_the_preview(firm):
    from django.core.files.base import ContentFile

    AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, employees=120, rd_staff=30)
    job = ImportJob(kind="metrics", original_name="x.xlsx")
    job.file.save("x.xlsx", ContentFile(workbook(HEADERS, [1, firm.uscc, firm.name, 2024, 6000, None, None, None])), save=True)
    job = import_job_validate(job=job)
    AnnualMetrics.objects.filter(enterprise=firm).update(revenue=60_000_000)  # someone else entered the same
    import_job_commit(job=job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED and "已有变化" in job.error_message
    assert job.unchanged_count == 1


def _validated_job(content):
    from django.core.files.base import ContentFile

    job = ImportJob(kind="metrics", original_name="x.xlsx")
    job.file.save("x.xlsx", ContentFile(content), save=True)
    return import_job_validate(job=job)


def test_the_commit_plans_again_from_the_parsed_columns_of_the_dry_run(firm, monkeypatch):
    job = _validated_job(workbook(HEADERS, [1, firm.uscc, firm.name, 2025, 100, 1, 10, 1]))

    def no_second_read(*args, **kwargs):
        raise AssertionError("the workbook was parsed again")

    monkeypatch.setattr(imports, "read", no_second_read)
    import_job_commit(job=job)
    assert AnnualMetrics.objects.get(enterprise=firm).revenue == Decimal("1000000.00")


def test_a_tampered_cache_is_ignored_and_the_file_read_again(firm, settings):
    from tracker.imports import sheet_cache

    job = _validated_job(workbook(HEADERS, [1, firm.uscc, firm.name, 2025, 100, 1, 10, 1]))
    path = sheet_cache._path(job)
    content = bytearray(path.read_bytes())
    content[-5] ^= 0xFF
    path.write_bytes(bytes(content))
    assert sheet_cache.load(job) is None
    import_job_commit(job=job)
    assert AnnualMetrics.objects.filter(enterprise=firm).count() == 1 and not path.exists()


def test_an_archived_enterprise_takes_no_new_year_but_its_stored_years_update(firm):
    AnnualMetricsFactory(enterprise=firm, fiscal_year=2024, revenue=50_000_000, rd_expense=2_500_000, employees=120, rd_staff=30)
    firm.archived_at = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    firm.save()
    plan = dry_run(workbook(HEADERS,
        [1, firm.uscc, firm.name, 2025, 6000, 300, 130, 31],
        [2, firm.uscc, firm.name, 2024, 5200, None, None, None],
    ))
    assert plan.counts() == {"new": 0, "changed": 1, "unchanged": 0, "rejected": 1}
    assert any(line.startswith("第 2 行，“统一社会信用代码”：“苏州甲科技有限公司”已归档") for line in plan.error_lines())
