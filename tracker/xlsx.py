"""Writing small and large xlsx workbooks (templates, rejected rows, 公示 lists).

openpyxl in write-only mode, so a sheet of 100,000 rows streams instead of building a cell object per
value. A string that starts like a formula is written as text: a workbook of imported or typed data
must never compute anything when staff open it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
NOTE_FONT = Font(italic=True, color="808080")
TITLE_FONT = Font(bold=True, size=14)
FORMULA_START = ("=", "+", "-", "@")


@dataclass
class Table:
    """One sheet: optional title lines, a header row, then rows of plain values."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence] = ()
    widths: Sequence[int] = ()
    title_lines: Sequence[str] = ()
    required: Sequence[bool] = ()  # header cells shaded as "must fill"
    text_columns: Sequence[int] = ()  # 0-based columns formatted as text (codes Excel would mangle)
    note_rows: int = 0  # the first n data rows are examples, shown in grey italics
    wrap: bool = False
    number_formats: Mapping[int, str] = field(default_factory=dict)  # 0-based column → Excel format


def _cell(sheet, value, *, font=None, fill=None, number_format=None, wrap=False):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"  # text, not a formula
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if number_format:
        cell.number_format = number_format
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _plain(sheet, value, text: bool, number_format: str | None = None):
    if (isinstance(value, str) and value.startswith(FORMULA_START)) or text:
        return _cell(sheet, value, number_format="@" if text else None)
    if number_format and value is not None and not isinstance(value, str):
        return _cell(sheet, value, number_format=number_format)
    return value


def write_tables(tables: Sequence[Table], target=None):
    """Write the tables as sheets of one workbook to ``target`` (a path or a binary file); without a
    target, return the workbook's bytes."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.title)
        for index, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for line in table.title_lines:
            sheet.append([_cell(sheet, line, font=TITLE_FONT if line is table.title_lines[0] else NOTE_FONT)])
        required = list(table.required) or [False] * len(table.headers)
        sheet.append(
            [
                _cell(sheet, header, font=HEADER_FONT, fill=REQUIRED_FILL if req else HEADER_FILL, wrap=True)
                for header, req in zip(table.headers, required, strict=True)
            ]
        )
        text_columns = set(table.text_columns)
        for number, row in enumerate(table.rows):
            if number < table.note_rows:
                sheet.append(
                    [
                        _cell(sheet, v, font=NOTE_FONT, number_format="@" if i in text_columns else None)
                        for i, v in enumerate(row)
                    ]
                )
            elif table.wrap:
                sheet.append([_cell(sheet, v, wrap=True) for v in row])
            else:
                sheet.append(
                    [_plain(sheet, v, i in text_columns, table.number_formats.get(i)) for i, v in enumerate(row)]
                )
    if target is None:
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    workbook.save(target)
    return target
