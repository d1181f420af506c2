"""Writing small and large xlsx workbooks (templates, rejected rows, 公示 lists, tier reports).

openpyxl in write-only mode, so a sheet of 100,000 rows streams instead of building a cell object per
value. A string that starts like a formula is written as text: a workbook of imported or typed data
must never compute anything when staff open it. A control character that the xlsx format cannot hold
(U+0001–U+0008, U+000B, U+000C, U+000E–U+001F: openpyxl refuses the whole workbook over one, which made
an export or a report's download a 500) is written as U+FFFD, so the cell shows where it stood; new
text cannot hold one (tracker/text.py), so this concerns what was stored before that check.

A table can freeze its header row, put a filter on it, give columns a number format (万元, %, dates)
and shade or embolden single rows (``Styled``); the filter's range is set once the rows have streamed,
because openpyxl writes it after the sheet's data.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
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
    freeze_header: bool = False  # keep the header row in view while scrolling
    autofilter: bool = False  # a filter button on every header cell
    number_formats: Mapping[int, str] = field(default_factory=dict)  # 0-based column → Excel number format


@dataclass
class Styled:
    """A row written with a font and/or a fill on every cell (a total row, a highlighted gap), or with
    number formats of its own (a column whose unit changes from row to row)."""

    values: Sequence
    font: Font | None = None
    fill: PatternFill | None = None
    number_formats: Mapping[int, str] = field(default_factory=dict)  # over the table's


def _legal(value):
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def _cell(sheet, value, *, font=None, fill=None, number_format=None, wrap=False):
    value = _legal(value)
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
    value = _legal(value)
    if (isinstance(value, str) and value.startswith(FORMULA_START)) or text:
        return _cell(sheet, value, number_format="@" if text else None)
    if number_format and value is not None and not isinstance(value, str):
        return _cell(sheet, value, number_format=number_format)
    return value


def _formatted(sheet, row, number_formats: Mapping[int, str], text_columns: set[int]) -> list:
    font, fill = (row.font, row.fill) if isinstance(row, Styled) else (None, None)
    values = row.values if isinstance(row, Styled) else row
    if isinstance(row, Styled) and row.number_formats:
        number_formats = {**number_formats, **row.number_formats}
    if font is None and fill is None:
        return [
            _cell(sheet, v, number_format=number_formats[i])
            if v is not None and i in number_formats and not isinstance(v, str)
            else _plain(sheet, v, i in text_columns)
            for i, v in enumerate(values)
        ]
    return [
        _cell(sheet, v, font=font, fill=fill,
              number_format="@" if i in text_columns else None if isinstance(v, str) else number_formats.get(i))
        for i, v in enumerate(values)
    ]


def write_tables(tables: Iterable[Table], target=None):
    """Write the tables as sheets of one workbook to ``target`` (a path or a binary file); without a
    target, return the workbook's bytes. ``tables`` may be a generator: each table is asked for once
    the previous one's rows are written (an export spreads its rows over sheets that way)."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.title)
        for index, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        header_row = len(table.title_lines) + 1
        if table.freeze_header:
            sheet.freeze_panes = f"A{header_row + 1}"  # before any row: openpyxl writes the views first
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
        count = 0
        for number, row in enumerate(table.rows):
            count += 1
            if isinstance(row, Styled) or table.number_formats:
                sheet.append(_formatted(sheet, row, table.number_formats, text_columns))
            elif number < table.note_rows:
                sheet.append(
                    [
                        _cell(sheet, v, font=NOTE_FONT, number_format="@" if i in text_columns else None)
                        for i, v in enumerate(row)
                    ]
                )
            elif table.wrap:
                sheet.append([_cell(sheet, v, wrap=True) for v in row])
            else:
                sheet.append([_plain(sheet, v, i in text_columns) for i, v in enumerate(row)])
        if table.autofilter:
            sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(table.headers))}{header_row + count}"
    if target is None:
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    workbook.save(target)
    return target
