"""The template of each import and the workbook of the rows a dry run rejected."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.imports.plan import Plan
from tracker.imports.sheet import EXAMPLE_MARK, KIND_HINTS, SERIAL_HEADER, Column
from tracker.xlsx import Table, write_tables

TITLES = {
    "enterprises": gettext_lazy("企业信息导入模板"),
    "metrics": gettext_lazy("年度指标导入模板（年度数据更新）"),
    "designations": gettext_lazy("认定名单导入模板"),
}


def template(kind: str, columns: list[Column]) -> bytes:
    """Sheet 1: the header row (units in the headers) and one example row marked 示例 in 序号, which the
    import skips. Sheet 2: every column explained."""
    headers = [SERIAL_HEADER, *(c.header for c in columns)]
    example = [EXAMPLE_MARK, *(c.example for c in columns)]
    data = Table(
        title=_("数据"),
        headers=headers,
        rows=[example],
        widths=[8, *(max(12, min(30, len(c.header) * 2 + 2)) for c in columns)],
        required=[False, *(c.required for c in columns)],
        text_columns=[i + 1 for i, c in enumerate(columns) if c.kind in ("uscc", "text", "list")],
        note_rows=1,
    )
    rows = []
    for column in columns:
        hint = str(KIND_HINTS[column.kind])
        if column.choices:
            hint += "、".join(str(label) for label in column.choices.values())
        rows.append(
            [
                column.header,
                _("必填") if column.required else _("选填"),
                hint,
                str(column.help or ""),
                "" if column.example is None else str(column.example),
            ]
        )
    notes = [
        _("第一行为表头，请勿修改列名；“序号”列填“示例”的行不会导入，可删除。"),
        _("金额一律以万元为单位；空白单元格表示不修改系统中已有的数据（新增时表示未知）。"),
        _("上传后系统先预览（新增、变更、无变化、被拒绝的行），确认后才写入；有被拒绝的行时须修改后重新上传。"),
    ]
    guide = Table(
        title=_("填写说明"),
        headers=[_("列名"), _("是否必填"), _("填写要求"), _("说明"), _("示例")],
        rows=[*rows, [], *([note, "", "", "", ""] for note in notes)],
        widths=[26, 10, 48, 48, 24],
        title_lines=[str(TITLES[kind])],
        wrap=True,
    )
    return write_tables([data, guide])


def rejected(plan: Plan) -> bytes:
    """The rejected rows as uploaded, each with its sheet row number and the reasons."""
    headers = [_("原行号"), _("拒绝原因"), *plan.sheet.raw_headers]
    width = len(plan.sheet.raw_headers)
    rows = (
        [number, messages, *(tuple(raw[:width]) + (None,) * (width - len(raw)))]
        for number, raw, messages in plan.rejected_rows()
    )
    return write_tables(
        [
            Table(
                title=_("被拒绝的行"),
                headers=headers,
                rows=rows,
                widths=[8, 60, *([16] * width)],
                text_columns=list(range(2, width + 2)),
            )
        ]
    )
