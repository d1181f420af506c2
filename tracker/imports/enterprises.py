"""Enterprises and their cluster memberships, keyed by USCC.

The region is given as the official lists give it: 设区市 and 县（市、区） by name (or a 6-digit code);
a new or moved enterprise's region must be current and inside the importing office's region, and a
code already registered outside that region is refused without a word about its enterprise.
Clusters by name or code, several separated by ；; the chain segments in 产业链环节 must each belong
to one of the listed clusters. An empty cell leaves the stored value; 无 in 所属产业集群 removes every
membership.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.imports import common
from tracker.imports.checks import field_violations
from tracker.imports.plan import Plan, Writer
from tracker.imports.sheet import Column, Sheet
from tracker.models import ChainSegment, Cluster, ClusterMembership, Enterprise, Region
from tracker.models.enterprises import ENTERPRISE_RULES, Sector
from tracker.models.row_rules import present, violations
from tracker.services.common import memberships_archived_error, region_write_error

KIND = "enterprises"
NONE_WORDS = {"无", "-", "—"}

# Headers are the file format (like API field names): literal Chinese, not translated.
COLUMNS = [
    Column("uscc", "统一社会信用代码", "uscc", required=True, example=common.EXAMPLE_USCC),
    Column("name", "企业名称", "text", example="苏州示例精密科技有限公司", help=gettext_lazy("新增企业必填。")),
    Column("city", "设区市", "text", example="苏州市", help=gettext_lazy("新增企业必填；如“苏州市”。")),
    Column(
        "county", "县（市、区）", "text", example="昆山市", help=gettext_lazy("所在县（市、区），须属于所填设区市。")
    ),
    Column(
        "region_code",
        "行政区划代码",
        "text",
        help=gettext_lazy("6 位 GB/T 2260 代码；填写时优先于设区市和县（市、区）。"),
    ),
    Column("sector", "行业（划型）", "choice", example="工业", choices=dict(Sector.choices)),
    Column("founded_on", "成立日期", "date", example="2012-05-01"),
    Column("listed", "是否上市", "bool", example="否"),
    Column("listed_on", "上市日期", "date"),
    Column("niche_since", "进入细分市场年份", "year", example=2014),
    Column("main_product", "主导产品", "text", example="精密减速器"),
    Column("product_code", "统计用产品分类代码", "text", example="3449020100"),
    Column("vc_backed", "获专业投资机构投资", "bool", example="是"),
    Column("group_has_little_giant", "同一集团已有小巨人", "bool", example="否"),
    Column(
        "clusters",
        "所属产业集群",
        "list",
        example="高端装备",
        help=gettext_lazy("集群名称或代码，多个用“；”分隔；填“无”表示不属于任何集群。"),
    ),
    Column(
        "segments",
        "产业链环节",
        "list",
        example="关键零部件",
        help=gettext_lazy("环节名称，须属于所填集群，每个集群至多一个。"),
    ),
]
BY_NAME = {c.name: c for c in COLUMNS}
# Profile fields written to the enterprise row (memberships are written separately).
FIELDS = [
    "uscc",
    "name",
    "region_id",
    "sector",
    "founded_on",
    "listed",
    "listed_on",
    "niche_since",
    "main_product",
    "product_code",
    "vc_backed",
    "group_has_little_giant",
]
HEADER_OF = {**{c.name: c.header for c in COLUMNS}, "region_id": "设区市"}
MODEL_FIELD = {name: Enterprise._meta.get_field(name.removesuffix("_id")) for name in FIELDS}


def plan(sheet: Sheet, *, today: dt.date, writer: Writer) -> Plan:
    """Classify every row for ``writer``: only enterprises of its region may be changed, and new or
    moved ones only into it."""
    result = Plan(KIND, sheet)
    result.reject_cells(sheet.errors)
    values = sheet.values
    codes = values["uscc"]
    values["region_id"] = _regions(result, values)
    stored_ids, stored = _stored(codes, values)
    _outside(result, writer, stored_ids, stored)
    known = stored_ids > 0
    # A stored code was accepted when it was saved (perhaps with a recorded override); new codes must pass.
    common.check_codes(result, np.where(known, None, codes), BY_NAME["uscc"].header)
    has_code = present(codes)
    common.reject_duplicates(
        result, np.where(has_code, codes, ""), has_code, _("同一企业在文件中出现了多次"), BY_NAME["uscc"].header
    )
    for name in ("name", "region_id"):
        missing = ~known & has_code & ~present(values[name])
        result.reject_rows(missing, HEADER_OF[name], _("新增企业必须填写。"))
    for name in FIELDS[1:]:  # the code itself was checked by the USCC rule above
        for broken, message in field_violations(MODEL_FIELD[name], values[name]):
            result.reject_rows(broken, HEADER_OF[name], message)
    merged, changed = common.merge(values, stored, FIELDS)
    _defaults(merged, new=~known)
    _check_regions(result, writer, values, merged, moved=present(merged["region_id"]) & (~known | changed["region_id"]))
    for rule, broken in violations(ENTERPRISE_RULES, merged):
        result.reject_rows(broken, HEADER_OF[rule.field], rule.message)

    memberships, membership_changes = _memberships(result, values, stored_ids)
    result.labels = [f"{name or '—'} · {code or '—'}" for name, code in zip(merged["name"], codes, strict=True)]
    result.is_new = has_code & ~known
    columns = {**BY_NAME, "region_id": Column("region_id", "所在地区", "choice", choices=_region_labels())}
    common.record_changes(result, columns, values, stored, changed, FIELDS, rows=known)
    for index, change in membership_changes.items():
        result.changes.setdefault(index, []).append(change)
    profile_changed = {int(i) for i in np.flatnonzero(known & np.any([changed[f] for f in FIELDS], axis=0))}
    result.writes = {
        "fields": FIELDS,
        "merged": merged,
        "existing_id": stored_ids,
        "memberships": memberships,
        "profile_changed": profile_changed,
    }
    return result


def _outside(plan: Plan, writer: Writer, stored_ids: np.ndarray, stored: dict) -> None:
    """Rows whose code is an enterprise outside the writer's region: rejected with one reason, and the
    enterprise's stored values forgotten, so that no label, change or later message shows them."""
    if not writer.restricted:
        return
    known = stored_ids > 0
    outside = known & ~writer.scope.allows_each(np.nan_to_num(stored["region_id"]).astype(np.int64))
    if not outside.any():
        return
    plan.seal(
        outside,
        BY_NAME["uscc"].header,
        _("该统一社会信用代码的企业不在您的管辖范围（%(scope)s）内，不能在此导入或修改。")
        % {"scope": writer.scope.describe()},
    )
    stored_ids[outside] = 0
    for column in stored.values():
        column[outside] = (
            np.datetime64("NaT") if column.dtype.kind == "M" else np.nan if column.dtype.kind == "f" else None
        )


def _check_regions(plan: Plan, writer: Writer, values: dict, merged: dict, *, moved: np.ndarray) -> None:
    """A new or moved enterprise's region: current, and inside the writer's (the write services' rule,
    asked once per region named)."""
    target = merged["region_id"]
    ids = {int(pk) for pk in target[moved]}
    regions = Region.objects.select_related("successor").in_bulk(ids)
    by_code = present(values["region_code"])
    for pk in ids:
        message = region_write_error(region=regions[pk], scope=writer.scope)
        if message:
            for index in np.flatnonzero(moved & (target == pk)):
                column = "region_code" if by_code[index] else "city"
                plan.reject(index, BY_NAME[column].header, message)


def _defaults(merged: dict, *, new: np.ndarray) -> None:
    """New enterprises take the model's defaults where a cell is empty (listed: no; sector: 工业; text: "")."""
    for name in FIELDS:
        field = MODEL_FIELD[name]
        if field.null or name.endswith("_id"):
            continue
        default = field.get_default()
        if default is None:
            continue
        fill = new & ~present(merged[name])
        merged[name] = np.where(fill, default, merged[name])


def _stored(codes: np.ndarray, values: dict) -> tuple[np.ndarray, dict]:
    n = len(codes)
    wanted = sorted({c for c in codes.tolist() if c})
    rows = {}
    for start in range(0, len(wanted), common.LOOKUP_CHUNK):
        for row in Enterprise.objects.filter(uscc__in=wanted[start : start + common.LOOKUP_CHUNK]).values_list(
            "id", *FIELDS
        ):
            rows[row[1]] = row
    ids = np.zeros(n, dtype=np.int64)
    raw = {name: [None] * n for name in FIELDS}
    for index, code in enumerate(codes.tolist()):
        row = rows.get(code)
        if row is None:
            continue
        ids[index] = row[0]
        for position, name in enumerate(FIELDS, start=1):
            raw[name][index] = row[position]
    return ids, {name: _like(values[name], raw[name]) for name in FIELDS}


def _like(parsed: np.ndarray, items: list) -> np.ndarray:
    """Stored values in the form of the parsed column they are compared with (dates, floats, objects)."""
    if parsed.dtype.kind == "M":
        return np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in items], dtype="M8[D]")
    if parsed.dtype.kind == "f":
        return np.array(items, dtype=float)  # None becomes NaN
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _region_labels() -> dict:
    return {float(pk): name for pk, name in Region.objects.values_list("id", "name")}


def _regions(plan: Plan, values) -> np.ndarray:
    """The region id of each row from 行政区划代码, or from 县（市、区） within 设区市, or 设区市 alone."""
    regions = list(Region.objects.values_list("id", "code", "name", "level"))
    by_code = {code: pk for pk, code, _name, _level in regions}
    cities = {}
    for pk, code, name, level in regions:
        if level == Region.Level.PREFECTURE:
            cities[name] = cities[name.removesuffix("市")] = (pk, code)
    counties = {}
    for pk, code, name, level in regions:
        if level == Region.Level.COUNTY:
            counties[(code[:4], name)] = pk
    out = np.full(len(values["uscc"]), np.nan)
    for index, (code, city, county) in enumerate(
        zip(values["region_code"].tolist(), values["city"].tolist(), values["county"].tolist(), strict=True)
    ):
        if code:
            if code in by_code:
                out[index] = by_code[code]
            else:
                plan.reject(index, BY_NAME["region_code"].header, _("未知的行政区划代码“%(code)s”。") % {"code": code})
            continue
        if not city:
            continue
        found = cities.get(city)
        if found is None:
            plan.reject(index, BY_NAME["city"].header, _("未知的设区市“%(city)s”。") % {"city": city})
            continue
        if not county:
            out[index] = found[0]
            continue
        pk = counties.get((found[1][:4], county))
        if pk is None:
            plan.reject(
                index,
                BY_NAME["county"].header,
                _("“%(county)s”不是%(city)s下辖的县（市、区）。") % {"county": county, "city": city},
            )
        else:
            out[index] = pk
    return out


def _memberships(plan: Plan, values, stored_ids) -> tuple[dict, dict]:
    """{row: {cluster id: segment id or None}} for rows that fill 所属产业集群, and the changes."""
    clusters = {}
    for pk, code, name in Cluster.objects.values_list("id", "code", "name_zh"):
        clusters[code] = clusters[name] = pk
    segments: dict[tuple[int, str], int] = {
        (cluster_id, name): pk for pk, cluster_id, name in ChainSegment.objects.values_list("id", "cluster_id", "name")
    }
    wanted = {}
    for index, (names, segment_names) in enumerate(zip(values["clusters"], values["segments"], strict=True)):
        if not names:
            continue
        if set(names) <= NONE_WORDS:
            wanted[index] = {}
            continue
        chosen, ok = {}, True
        for name in names:
            if name not in clusters:
                plan.reject(index, BY_NAME["clusters"].header, _("未知的产业集群“%(name)s”。") % {"name": name})
                ok = False
            else:
                chosen[clusters[name]] = None
        for segment in segment_names or ():
            owners = [c for c in chosen if (c, segment) in segments]
            if len(owners) != 1:
                plan.reject(
                    index, BY_NAME["segments"].header, _("环节“%(name)s”不属于所填的产业集群。") % {"name": segment}
                )
                ok = False
            elif chosen[owners[0]] is not None:
                plan.reject(index, BY_NAME["segments"].header, _("同一集群只能填写一个环节。"))
                ok = False
            else:
                chosen[owners[0]] = segments[(owners[0], segment)]
        if ok:
            wanted[index] = chosen
    current: dict[int, dict] = {}
    for enterprise_id, cluster_id, segment_id in ClusterMembership.objects.filter(
        enterprise_id__in=[int(stored_ids[i]) for i in wanted if stored_ids[i]]
    ).values_list("enterprise_id", "cluster_id", "segment_id"):
        current.setdefault(enterprise_id, {})[cluster_id] = segment_id
    labels = dict(Cluster.objects.values_list("id", "name_zh"))
    segment_labels = {pk: name for (_c, name), pk in segments.items()}
    changes = {}

    def describe(memberships: dict) -> str:
        if not memberships:
            return "—"
        return "；".join(labels[c] + (f"（{segment_labels[s]}）" if s else "") for c, s in sorted(memberships.items()))

    for index, chosen in wanted.items():
        before = current.get(int(stored_ids[index]), {}) if stored_ids[index] else {}
        if stored_ids[index] and before != chosen:
            changes[index] = (BY_NAME["clusters"].header, describe(before), describe(chosen))
    # As in the service (membership_set): an archived enterprise's clusters stay as they are.
    changed_ids = sorted({int(stored_ids[i]) for i in changes})
    archived = {}
    for start in range(0, len(changed_ids), common.LOOKUP_CHUNK):
        ids = changed_ids[start : start + common.LOOKUP_CHUNK]
        archived.update(Enterprise.objects.filter(pk__in=ids, archived_at__isnull=False).values_list("pk", "name"))
    for index in changes:
        name = archived.get(int(stored_ids[index]))
        if name is not None:
            plan.reject(index, BY_NAME["clusters"].header, memberships_archived_error(name))
    return wanted, changes
