"""The yearly data update: annual metrics by enterprise (USCC) and fiscal year.

An empty cell leaves the stored figure as it is (missing is not zero, and not "erase" either); a
filled cell sets it. Every check runs over whole columns: the fields' own validators, the model's
cross-field rules on the row as it will be stored, the USCC rule, duplicates in the file, and the
plausibility bounds of ``fixtures/plausibility.yaml``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import connection, models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.imports import common
from tracker.imports.checks import field_violations
from tracker.imports.plan import Plan, Writer
from tracker.imports.plausibility import bounds
from tracker.imports.sheet import Column, Sheet
from tracker.models import AnnualMetrics
from tracker.models.metrics import METRIC_FIELDS, METRICS_RULES
from tracker.models.row_rules import present, violations

KIND = "metrics"

EXAMPLES = {
    "revenue": 12345.67,
    "main_business_revenue": 11800,
    "rd_expense": 740.5,
    "net_profit": 1050,
    "total_assets": 18600,
    "total_liabilities": 7400,
    "employees": 186,
    "rd_staff": 42,
    "ip_class1": 6,
    "ip_class2": 21,
    "niche_market_share": 12.5,
    "digital_level": 2,
    "rd_institution_level": "市级",
    "high_tech_certified": "是",
    "compliance_ok": "是",
}


def metric_column(field: models.Field) -> Column:
    """The import column of a metrics field: header from its verbose name, money in 万元."""
    label = str(field.verbose_name)
    example = EXAMPLES.get(field.name)
    if isinstance(field, models.DecimalField) and field.decimal_places == 2 and field.max_digits == 18:
        usd = field.name.endswith("_usd")
        unit, wan = ("（美元）", "（万美元）") if usd else ("（元）", "（万元）")
        base = label.replace(unit, "")
        return Column(
            field.name,
            base + wan,
            "usd" if usd else "money",
            example=example,
            help=str(field.help_text),
            wrong_units=(label, base) if usd else (label, base, base + "（亿元）"),
        )
    if isinstance(field, models.DecimalField) and field.decimal_places == 6:
        return Column(field.name, label + "（%）", "ratio", example=example, help=str(field.help_text))
    if isinstance(field, models.DecimalField):
        return Column(field.name, label, "number", example=example, help=str(field.help_text))
    if isinstance(field, models.BooleanField):
        return Column(field.name, label, "bool", example=example, help=str(field.help_text))
    if field.choices:
        return Column(
            field.name, label, "choice", example=example, help=str(field.help_text), choices=dict(field.choices)
        )
    return Column(field.name, label, "int", example=example, help=str(field.help_text))


FIELDS = [AnnualMetrics._meta.get_field(name) for name in METRIC_FIELDS]
COLUMNS = [
    # Headers are the file format (like API field names): literal Chinese, not translated.
    Column("uscc", "统一社会信用代码", "uscc", required=True, example=common.EXAMPLE_USCC),
    Column(
        "name",
        "企业名称",
        "text",
        example="苏州示例精密科技有限公司",
        help=gettext_lazy("用于核对：须与系统中该代码的企业名称一致。"),
    ),
    Column("fiscal_year", "年度", "year", required=True, example=2025),
    *(metric_column(f) for f in FIELDS),
    Column(
        "verified",
        "数据已核实",
        "bool",
        help=gettext_lazy("填“是”表示已核实该行数据，跳过合理性检查（如营业收入比上年高出一千倍以上）。"),
    ),
]
BY_NAME = {c.name: c for c in COLUMNS}


def plan(sheet: Sheet, *, today: dt.date, writer: Writer) -> Plan:
    """Classify every row of a metrics workbook for ``writer`` (enterprises of its region only); nothing
    is written."""
    result = Plan(KIND, sheet)
    result.reject_cells(sheet.errors)
    values = sheet.values
    firms = common.enterprises_by_uscc(
        result, values["uscc"], BY_NAME["uscc"].header, writer=writer, names=values["name"]
    )
    enterprise_id = firms["id"]
    years = values["fiscal_year"]
    _check_years(result, years, firms["founded_year"], today)
    known = (enterprise_id > 0) & present(years)
    keys = np.where(known, enterprise_id * 10_000 + np.nan_to_num(years).astype(np.int64), -1)
    common.reject_duplicates(result, keys, known, _("同一企业同一年度在文件中出现了多次"), BY_NAME["uscc"].header)

    for field in FIELDS:
        if isinstance(field, models.DecimalField):  # stored at the field's precision, compared as stored
            values[field.name] = np.round(values[field.name], field.decimal_places)
        for broken, message in field_violations(field, values[field.name]):
            result.reject_rows(broken, BY_NAME[field.name].header, message)
    existing_id, stored = fetch_stored(enterprise_id, years, known, METRIC_FIELDS)
    merged, changed = common.merge(values, stored, METRIC_FIELDS)
    for rule, broken in violations(METRICS_RULES, merged):
        result.reject_rows(broken, BY_NAME[rule.field].header, rule.message)
    checked = values["verified"] != True  # noqa: E712 (object column)
    _check_plausible(result, values, enterprise_id, years, known & checked)

    result.labels = [
        f"{name or '—'} · {code or '—'} · {int(year) if year == year else '—'}"
        for name, code, year in zip(firms["name"], values["uscc"], years, strict=True)
    ]
    common.reject_new_rows_of_archived(result, firms, known & (existing_id == 0), BY_NAME["uscc"].header)
    result.is_new = known & (existing_id == 0)
    common.record_changes(result, BY_NAME, values, stored, changed, METRIC_FIELDS, rows=known & (existing_id > 0))
    result.writes = {
        "enterprise_id": enterprise_id,
        "fiscal_year": years,
        "existing_id": existing_id,
        "merged": merged,
    }
    return result


def _check_years(result: Plan, years: np.ndarray, founded_year: np.ndarray, today: dt.date) -> None:
    header = BY_NAME["fiscal_year"].header
    for broken, message in field_violations(AnnualMetrics._meta.get_field("fiscal_year"), years):
        result.reject_rows(broken, header, message)
    last = today.year + bounds("metrics")["max_years_ahead"]
    with np.errstate(invalid="ignore"):
        future = present(years) & (years > last)
        before = present(years) & (founded_year > 0) & (years < founded_year)
    result.reject_rows(future, header, _("年度不能晚于 %(year)s 年。") % {"year": last})
    result.reject_rows(
        before, header, lambda i: _("年度早于企业成立年份（%(year)s 年）。") % {"year": int(founded_year[i])}
    )


def _check_plausible(result: Plan, values, enterprise_id, years, rows: np.ndarray) -> None:
    """元/万元 slips and typos: ceilings, revenue per employee, and the jump from the previous year."""
    limits = bounds("metrics")
    for name, ceiling in limits["max_yuan"].items():
        with np.errstate(invalid="ignore"):
            broken = rows & present(values[name]) & (np.abs(values[name]) > float(ceiling))
        result.reject_rows(
            broken,
            BY_NAME[name].header,
            _("超出合理范围（不超过 %(limit)s 万元）：是否把元填成了万元？如确认无误，请在“数据已核实”列填“是”。")
            % {"limit": f"{float(ceiling) / 10_000:,.0f}"},
        )
    revenue, employees = values["revenue"], values["employees"]
    per_person = limits["revenue_per_employee"]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = revenue / employees
        both = rows & present(revenue) & present(employees) & (revenue > 0) & (employees > 0)
    result.reject_rows(
        both & (ratio > float(per_person["max"])),
        BY_NAME["revenue"].header,
        _("人均营业收入超过 %(limit)s 万元，金额可能按元填写了：请核对单位（万元）。")
        % {"limit": f"{float(per_person['max']) / 10_000:,.0f}"},
    )
    result.reject_rows(
        both & (ratio < float(per_person["min"])),
        BY_NAME["revenue"].header,
        _("人均营业收入不足 %(limit)s 元，金额可能按亿元填写了：请核对单位（万元）。")
        % {"limit": f"{float(per_person['min']):,.0f}"},
    )
    jumps = limits["year_on_year"]
    _ids, previous = fetch_stored(enterprise_id, years - 1, rows, jumps["fields"])
    factor, base = float(jumps["factor"]), float(jumps["min_base"])
    for name in jumps["fields"]:
        new, old = values[name], previous[name]
        with np.errstate(invalid="ignore", divide="ignore"):
            compared = rows & present(new) & present(old) & (old >= base) & (new > 0)
            ratio = new / old
        header = BY_NAME[name].header
        for index in np.flatnonzero(compared & ((ratio >= factor) | (ratio <= 1 / factor))):
            result.reject(
                index,
                header,
                _(
                    "与上年（%(old)s 万元）相差约 %(times)s 倍，疑似单位错误（元/万元）。"
                    "如确认无误，请在“数据已核实”列填“是”。"
                )
                % {
                    "old": f"{old[index] / 10_000:,.2f}",
                    "times": f"{max(ratio[index], 1 / ratio[index]):,.0f}",
                },
            )


def fetch_stored(enterprise_id: np.ndarray, years: np.ndarray, rows: np.ndarray, fields: list[str]):
    """The stored metrics row for each (enterprise, year) of ``rows``, aligned to the sheet: (ids, 0
    where none; {field: column}) with numbers as float (NaN missing) and the rest as objects."""
    n = len(enterprise_id)
    index = np.flatnonzero(rows)
    kinds = {f: AnnualMetrics._meta.get_field(f) for f in fields}
    numeric = {f for f, field in kinds.items() if not field.choices and not isinstance(field, models.BooleanField)}
    ids = np.zeros(n, dtype=np.int64)
    stored = {f: np.full(n, np.nan) if f in numeric else np.full(n, None, dtype=object) for f in fields}
    if not len(index):
        return ids, stored
    pairs = list(
        zip(enterprise_id[index].tolist(), years[index].astype(np.int64).tolist(), index.tolist(), strict=True)
    )
    if connection.vendor == "postgresql":
        select = ", ".join(f"m.{f}::float8" if f in numeric else f"m.{f}" for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT k.i, m.id, {select} FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS k(e, y, i) "
                "JOIN tracker_annualmetrics m ON m.enterprise_id = k.e AND m.fiscal_year = k.y",
                [
                    common.int_array([p[0] for p in pairs]),
                    common.int_array([p[1] for p in pairs]),
                    common.int_array([p[2] for p in pairs]),
                ],
            )
            found = cursor.fetchall()
    else:
        where = {(e, y): i for e, y, i in pairs}
        found = []
        enterprises = sorted({p[0] for p in pairs})
        for start in range(0, len(enterprises), 500):
            for row in AnnualMetrics.objects.filter(enterprise_id__in=enterprises[start : start + 500]).values_list(
                "enterprise_id", "fiscal_year", "id", *fields
            ):
                i = where.get((row[0], row[1]))
                if i is not None:
                    found.append(
                        (
                            i,
                            row[2],
                            *(
                                float(v) if v is not None and f in numeric else v
                                for f, v in zip(fields, row[3:], strict=True)
                            ),
                        )
                    )
    if found:
        cols = list(zip(*found, strict=True))
        at = np.array(cols[0], dtype=np.int64)
        ids[at] = cols[1]
        for position, f in enumerate(fields, start=2):
            stored[f][at] = np.array(cols[position], dtype=float if f in numeric else object)
    return ids, stored
