"""Steps every import shares: enterprises by USCC, duplicates in the file, merging with stored rows."""

from __future__ import annotations

import numpy as np
from django.db import connection
from django.utils.translation import gettext as _

from tracker import uscc
from tracker.imports.plan import Plan, Writer
from tracker.imports.sheet import Column, format_value
from tracker.models import Enterprise
from tracker.models.row_rules import present
from tracker.services.common import archived_error
from tracker.services.enterprises import uscc_error

LOOKUP_CHUNK = 10_000
EXAMPLE_USCC = "91320500MA1EXAMPL" + uscc.check_character(
    "91320500MA1EXAMPL"
)  # codes per query: a handful of queries for a whole file, never one per row


def check_codes(plan: Plan, codes: np.ndarray, header: str) -> np.ndarray:
    """Reject codes that fail the USCC rule (shape, GB 32100 check digit); return where they pass."""
    good = present(codes).copy()
    for code in set(codes[good].tolist()):
        message = uscc_error(code)
        if message:
            broken = codes == code
            plan.reject_rows(broken, header, message)
            good &= ~broken
    return good


def enterprises_by_uscc(
    plan: Plan, codes: np.ndarray, header: str, *, writer: Writer, names: np.ndarray | None = None
) -> dict:
    """The stored enterprise of each row by its USCC, among those ``writer`` may write to: id (0 when
    unknown), founded year (0 when unknown), name and whether it is archived. Unknown codes, codes of
    another region's enterprise (the same answer: nothing is said about it) and names that do not match
    the code's enterprise are rejected."""
    n = len(codes)
    good = check_codes(plan, codes, header)
    found = {row[0]: row[1:] for row in enterprises_by_codes(sorted(set(codes[good].tolist())))}
    if writer.restricted:
        regions = np.array([row[3] for row in found.values()], dtype=np.int64)
        found = {
            code: row
            for (code, row), inside in zip(found.items(), writer.scope.allows_each(regions), strict=True)
            if inside
        }
        unknown = _(
            "您的管辖范围（%(scope)s）内没有该统一社会信用代码的企业：请核对代码，或先导入、录入本地区的企业。"
        ) % {"scope": writer.scope.describe()}
    else:
        unknown = _("系统中没有该统一社会信用代码的企业：请先导入或录入企业。")
    ids = np.zeros(n, dtype=np.int64)
    founded = np.zeros(n, dtype=np.int64)
    archived = np.zeros(n, dtype=bool)
    stored_names: list[str | None] = [None] * n
    for index in np.flatnonzero(good):
        hit = found.get(codes[index])
        if hit is None:
            plan.reject(index, header, unknown)
            continue
        ids[index], stored_names[index], archived[index] = hit[0], hit[1], hit[4]
        founded[index] = hit[2].year if hit[2] else 0
        given = names[index] if names is not None else None
        if given and given != hit[1]:
            plan.reject(
                index,
                _("企业名称"),
                _("与该代码在系统中的企业“%(name)s”不一致：请核对代码；如企业已更名，请先更新企业信息。")
                % {"name": hit[1]},
            )
    return {"id": ids, "founded_year": founded, "name": stored_names, "archived": archived}


def reject_new_rows_of_archived(plan: Plan, firms: dict, new: np.ndarray, header: str) -> None:
    """An archived enterprise takes no new record (services/common.py); its stored rows stay updatable."""
    plan.reject_rows(new & firms["archived"], header, lambda i: archived_error(firms["name"][i]))


def int_array(values) -> str:
    """A PostgreSQL array literal of integers. Passed as one text parameter, it costs a join instead
    of the driver quoting every element (seconds for 100,000 of them)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def enterprises_by_codes(codes: list[str]) -> list[tuple]:
    """(uscc, id, name, founded_on, region_id, archived) of the enterprises with these well-formed codes:
    one query on PostgreSQL, a few elsewhere."""
    if connection.vendor == "postgresql":
        # Well-formed codes are [0-9A-Z] only, so they need no quoting inside the array literal.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT uscc, id, name, founded_on, region_id, archived_at IS NOT NULL FROM tracker_enterprise "
                "WHERE uscc = ANY(%s::text[])",
                ["{" + ",".join(codes) + "}"],
            )
            return cursor.fetchall()
    rows = []
    for start in range(0, len(codes), LOOKUP_CHUNK):
        rows += [
            (*row[:5], row[5] is not None)
            for row in Enterprise.objects.filter(uscc__in=codes[start : start + LOOKUP_CHUNK]).values_list(
                "uscc", "id", "name", "founded_on", "region_id", "archived_at"
            )
        ]
    return rows


def reject_duplicates(plan: Plan, keys: np.ndarray, rows: np.ndarray, message: str, header: str) -> None:
    """Reject every row whose key occurs more than once among ``rows``, naming the other rows."""
    index = np.flatnonzero(rows)
    if not len(index):
        return
    _keys, inverse, counts = np.unique(keys[index], return_inverse=True, return_counts=True)
    for group in np.flatnonzero(counts > 1):
        members = index[inverse == group]
        sheet_rows = "、".join(str(int(plan.sheet.rows[i])) for i in members)
        for member in members:
            plan.reject(member, header, _("%(message)s（第 %(rows)s 行）。") % {"message": message, "rows": sheet_rows})


def same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f":
        return (a == b) | (np.isnan(a) & np.isnan(b))
    return np.array([x == y for x, y in zip(a.tolist(), b.tolist(), strict=True)], dtype=bool)


def merge(values: dict, stored: dict, fields: list[str]) -> tuple[dict, dict]:
    """The rows as they will be stored (a filled cell wins, an empty one keeps the stored value), and
    per field where the import changes the stored value."""
    merged, changed = {}, {}
    for name in fields:
        given = present(values[name])
        merged[name] = np.where(given, values[name], stored[name])
        if merged[name].dtype != values[name].dtype:
            merged[name] = merged[name].astype(values[name].dtype)
        changed[name] = given & ~same(values[name], stored[name])
    return merged, changed


def record_changes(
    plan: Plan, columns: dict[str, Column], values: dict, stored: dict, changed: dict, fields, *, rows: np.ndarray
) -> None:
    """before → after for every changed cell of the rows that already exist."""
    for name in fields:
        column = columns[name]
        for index in np.flatnonzero(changed[name] & rows):
            plan.changes.setdefault(int(index), []).append(
                (column.header, format_value(column, stored[name][index]), format_value(column, values[name][index]))
            )
