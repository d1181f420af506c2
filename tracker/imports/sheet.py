"""Reading an import workbook: headers matched to columns, cells parsed into typed NumPy columns.

Parsing is per column, not per row: a column's cells are converted in one pass, and each failure is a
cell error naming the sheet row and the column header. Money is entered in 万元 and held in 元.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker import uscc
from tracker.models.row_rules import present
from tracker.text import control_character_message

WAN = 10_000
NUMERIC_KINDS = ("int", "year", "number", "money", "usd", "ratio")
HEADER_ROWS_SCANNED = 10  # official lists carry a title line or two above the header row
EXAMPLE_MARK = "示例"
SERIAL_HEADER = "序号"

TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "✓", "√", "通过"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", "✗", "×"}


@dataclass(frozen=True)
class Column:
    """One column of an import: where its value goes, its header (unit included) and how it parses.

    ``kind``: text, uscc, int, year, money (万元 → 元), usd (万美元 → 美元), ratio (% → fraction),
    bool, choice (label or code → code), date, list (several names separated by ；).
    """

    name: str
    header: str
    kind: str
    required: bool = False
    example: object = None
    help: str = ""
    choices: dict | None = None  # code → label
    wrong_units: tuple[str, ...] = ()  # headers that mean the figures are in another unit


@dataclass(frozen=True)
class CellError:
    index: int  # position among the data rows
    header: str
    message: str


@dataclass
class Sheet:
    """The data rows of a workbook, column by column, as parsed."""

    rows: np.ndarray  # sheet row number of each data row (1-based, as Excel shows it)
    values: dict[str, np.ndarray]
    raw_headers: list[str]
    raw_rows: list[tuple]
    errors: list[CellError] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.rows)


class FileError(Exception):
    """The workbook cannot be read as this kind of import at all (no header row, not an xlsx)."""


def normalise_header(text) -> str:
    text = re.sub(r"\s+", "", str(text or ""))
    return text.replace("(", "（").replace(")", "）").rstrip("*＊")


def read_workbook(path, columns: Sequence[Column], *, progress: Callable[[int, int], None] | None = None) -> Sheet:
    """Read the first sheet that has the header row of ``columns`` and parse every data row."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileError(_("无法读取文件：请上传 Excel 工作簿（.xlsx）。（%(error)s）") % {"error": exc}) from exc
    try:
        return _read(workbook, columns, progress)
    finally:
        workbook.close()


def _read(workbook, columns, progress) -> Sheet:
    by_header = {normalise_header(c.header): c for c in columns}
    wrong_unit = {normalise_header(h): c for c in columns for h in c.wrong_units}
    for worksheet in workbook.worksheets:
        rows = worksheet.iter_rows(values_only=True)
        for offset, row in enumerate(rows, start=1):
            headers = [normalise_header(v) for v in row or ()]
            matched = sum(1 for h in headers if h in by_header or h in wrong_unit)
            if matched >= 2:
                # The row count is known only when the sheet declares its dimension; asking openpyxl
                # otherwise parses the whole sheet once more just to count.
                declared = getattr(worksheet, "_max_row", None)
                total = max((declared or 0) - offset, 0)
                raw_headers = [str(v or "") for v in row]
                return _parse(rows, offset, headers, raw_headers, by_header, wrong_unit, total, progress)
            if offset >= HEADER_ROWS_SCANNED:
                break
    raise FileError(
        _("没有找到表头行：请使用本导入的模板，表头须包含“%(headers)s”等列。")
        % {"headers": "”“".join(c.header for c in columns if c.required)}
    )


def _parse(rows, header_row, headers, raw_headers, by_header, wrong_unit, total, progress) -> Sheet:
    file_errors, warnings = [], []
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        if not header:
            continue
        if header in wrong_unit:
            column = wrong_unit[header]
            file_errors.append(
                _("“%(found)s”列的单位与模板不同：本导入按“%(expected)s”填写，请换算后把列名改为“%(expected)s”。")
                % {"found": raw_headers[position], "expected": column.header}
            )
        elif header in by_header:
            column = by_header[header]
            if column.name in positions:
                file_errors.append(_("“%(header)s”列出现了两次。") % {"header": column.header})
            positions[column.name] = position
        elif header != SERIAL_HEADER:
            warnings.append(_("未识别的列“%(header)s”已忽略。") % {"header": raw_headers[position]})
    columns = {c.name: c for c in by_header.values()}
    for column in columns.values():
        if column.required and column.name not in positions:
            file_errors.append(_("缺少必填列“%(header)s”。") % {"header": column.header})

    serial = headers.index(SERIAL_HEADER) if SERIAL_HEADER in headers else None
    numbers, raw_rows = [], []
    for number, row in enumerate(rows, start=header_row + 1):
        if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        if serial is not None and serial < len(row) and str(row[serial] or "").strip() == EXAMPLE_MARK:
            continue
        numbers.append(number)
        raw_rows.append(row)
        if progress is not None and len(numbers) % 5000 == 0:
            progress(len(numbers), max(total, len(numbers)))
    width = len(headers)
    cells = list(zip(*(tuple(r[:width]) + (None,) * (width - len(r)) for r in raw_rows), strict=True)) or [
        () for _ in range(width)
    ]
    sheet = Sheet(
        rows=np.array(numbers, dtype=np.int64),
        values={},
        raw_headers=raw_headers,
        raw_rows=raw_rows,
        file_errors=file_errors,
        warnings=warnings,
    )
    n = len(numbers)
    for name, column in columns.items():
        raw = cells[positions[name]] if name in positions and raw_rows else (None,) * n
        sheet.values[name] = parse_column(column, raw, sheet.errors)
        if column.required and name in positions:
            unparsed = {e.index for e in sheet.errors if e.header == column.header}
            for index in np.flatnonzero(~present(sheet.values[name])):
                if index not in unparsed:
                    sheet.errors.append(CellError(int(index), column.header, _("必填，不能为空。")))
    return sheet


# ------------------------------------------------------------------------------------------- cells


def parse_column(column: Column, raw: Sequence, errors: list[CellError]) -> np.ndarray:
    parser = PARSERS[column.kind]
    out = []
    for index, value in enumerate(raw):
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(None)
            continue
        try:
            out.append(parser(value, column))
        except ValueError as exc:
            errors.append(CellError(index, column.header, str(exc)))
            out.append(None)
    if column.kind in NUMERIC_KINDS:
        return np.array(out, dtype=float)
    if column.kind == "date":
        return np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in out], dtype="M8[D]")
    array = np.empty(len(out), dtype=object)
    array[:] = out
    return array


def _number(value) -> float:
    if isinstance(value, bool):
        raise ValueError(_("应填写数字。"))
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "").replace("，", "").replace(" ", "")
    for unit in ("万美元", "万元", "万", "%", "％"):
        text = text.removesuffix(unit)
    try:
        return float(text)
    except ValueError:
        raise ValueError(_("“%(value)s”不是数字。") % {"value": value}) from None


def _money(value, column: Column) -> float:
    number = _number(value)
    if isinstance(value, str) and value.strip().endswith("亿元"):
        raise ValueError(_("请按万元填写数字，不要带“亿元”。"))
    return round(number * WAN, 2)


def _ratio(value, column: Column) -> float:
    return _number(value) / 100


def _int(value, column: Column) -> float:
    number = _number(value)
    if number != int(number):
        raise ValueError(_("“%(value)s”不是整数。") % {"value": value})
    return float(int(number))


def _text(value, column: Column) -> str:
    if isinstance(value, float) and value == int(value):
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()[:10]
    text = str(value).strip()
    if message := control_character_message(text, xlsx_escapes=True):
        raise ValueError(message)
    return text


def _uscc(value, column: Column) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An 18-digit code stored as a number has lost its last digits to floating point.
        raise ValueError(
            _("统一社会信用代码被 Excel 存成了数字（%(value)s），末几位可能已丢失：请把该列设为“文本”格式后重新填写。")
            % {"value": f"{value:.0f}"}
        )
    return uscc.normalize(str(value))


def _bool(value, column: Column) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value, column).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(_("“%(value)s”应填写“是”或“否”。") % {"value": value})


def _choice(value, column: Column) -> str:
    text = _text(value, column)
    for code, label in (column.choices or {}).items():
        if text in (code, str(label)):
            return code
    allowed = "、".join(str(label) for label in (column.choices or {}).values())
    raise ValueError(_("“%(value)s”不是可选值；可填：%(allowed)s。") % {"value": value, "allowed": allowed})


DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def _date(value, column: Column) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value, column).split(" ")[0]
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise ValueError(_("“%(value)s”不是日期；请填写如 2025-06-30。") % {"value": value})


def _list(value, column: Column) -> tuple[str, ...]:
    parts = re.split(r"[；;、,，\n]", _text(value, column))
    return tuple(p.strip() for p in parts if p.strip())


def _plain_number(value, column: Column) -> float:
    return _number(value)


PARSERS = {
    "number": _plain_number,
    "text": _text,
    "uscc": _uscc,
    "int": _int,
    "year": _int,
    "money": _money,
    "usd": _money,
    "ratio": _ratio,
    "bool": _bool,
    "choice": _choice,
    "date": _date,
    "list": _list,
}


def format_value(column: Column, value) -> str:
    """A stored or imported value as staff read it: money in 万元, ratios in %, choices by label."""
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if column.kind in ("money", "usd"):
        return f"{float(value) / WAN:,.2f}"
    if column.kind == "ratio":
        return f"{float(value) * 100:.2f}%"
    if column.kind in ("int", "year"):
        return str(int(value))
    if column.kind == "number":
        return f"{float(value):g}"
    if column.kind == "bool":
        return _("是") if value else _("否")
    if column.kind == "choice":
        return str((column.choices or {}).get(value, value))
    if column.kind == "list":
        return "；".join(value)
    if isinstance(value, dt.date | np.datetime64):
        return str(value)[:10]
    return str(value)


KIND_HINTS = {
    "number": gettext_lazy("数字。"),
    "money": gettext_lazy("数字，单位万元，可保留两位小数；如 1,234.56 表示 1234.56 万元。"),
    "usd": gettext_lazy("数字，单位万美元。"),
    "ratio": gettext_lazy("百分数的数值，如 12.5 表示 12.5%；不要把单元格设为百分比格式。"),
    "int": gettext_lazy("整数。"),
    "year": gettext_lazy("四位年份，如 2025。"),
    "bool": gettext_lazy("填写“是”或“否”；留空表示未知。"),
    "date": gettext_lazy("日期，如 2025-06-30。"),
    "uscc": gettext_lazy("18 位统一社会信用代码；该列请设为文本格式。"),
    "list": gettext_lazy("可填多个，用“；”分隔。"),
    "text": gettext_lazy("文字。"),
    "choice": gettext_lazy("从以下选项中选择："),
}
