"""Designations from an official list: enterprise (USCC), tier, batch, 文号, dates and status.

A row matches a stored designation of the same enterprise, tier, cluster and 认定日期; a matched row
changes only what its filled cells say, and a status change must follow the lifecycle. When
有效期至 is empty it follows from the tier's validity (``Tier.validity_years``). Holding designations may
not overlap another holding designation of the same title (stored or in the file).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.imports import common
from tracker.imports.checks import field_violations
from tracker.imports.plan import Plan, Writer
from tracker.imports.sheet import Column, Sheet
from tracker.models import Cluster, Designation, Tier
from tracker.models.designations import DESIGNATION_RULES, HOLDING_STATUSES, DesignationStatus
from tracker.models.row_rules import present, violations
from tracker.services.designations import (
    Holding,
    designation_publish_error,
    designation_transition_check,
    holding_overlaps,
    validity_end,
)

KIND = "designations"

COLUMNS = [
    Column("uscc", "统一社会信用代码", "uscc", required=True, example=common.EXAMPLE_USCC),
    Column("name", "企业名称", "text", example="苏州示例精密科技有限公司", help=gettext_lazy("用于核对。")),
    Column(
        "tier", "梯度层级", "text", required=True, example="专精特新中小企业", help=gettext_lazy("层级名称或代码。")
    ),
    Column("cluster", "产业集群", "text", help=gettext_lazy("仅链主企业填写：集群名称或代码。")),
    Column("batch", "批次", "text", example="2024年第一批"),
    Column("document_no", "文号", "text", example="苏工信中小〔2024〕123号"),
    Column("recognized_on", "认定日期", "date", example="2024-06-01"),
    Column(
        "valid_until",
        "有效期至",
        "date",
        example="2027-05-31",
        help=gettext_lazy("留空时按层级的有效期（年）自认定日期推算。"),
    ),
    Column(
        "status",
        "状态",
        "choice",
        example="有效",
        choices=dict(DesignationStatus.choices),
        help=gettext_lazy("留空表示“有效”。"),
    ),
    Column("note", "备注", "text"),
]
BY_NAME = {c.name: c for c in COLUMNS}
FIELDS = [
    "enterprise_id",
    "tier_id",
    "cluster_id",
    "batch",
    "document_no",
    "recognized_on",
    "valid_until",
    "status",
    "note",
]
UPDATABLE = ["batch", "document_no", "valid_until", "status", "note"]
HEADER_OF = {
    **{c.name: c.header for c in COLUMNS},
    "tier_id": "梯度层级",
    "cluster_id": "产业集群",
    "tier_per_cluster": "梯度层级",
}


def plan(sheet: Sheet, *, today: dt.date, writer: Writer) -> Plan:
    """Classify every row for ``writer``: enterprises of its region only, and without the permission to
    publish, candidates only (new rows and the rows they change)."""
    result = Plan(KIND, sheet)
    result.reject_cells(sheet.errors)
    values = sheet.values
    n = sheet.n
    firms = common.enterprises_by_uscc(
        result, values["uscc"], BY_NAME["uscc"].header, writer=writer, names=values["name"]
    )
    tiers = {}
    for tier in Tier.objects.all():
        tiers[tier.code] = tiers[tier.name_zh] = tier
    clusters = {}
    for pk, code, name in Cluster.objects.values_list("id", "code", "name_zh"):
        clusters[code] = clusters[name] = pk
    tier_id = np.full(n, None, dtype=object)
    per_cluster = np.full(n, None, dtype=object)
    cluster_id = np.full(n, np.nan)
    for index, (tier_name, cluster_name) in enumerate(zip(values["tier"], values["cluster"], strict=True)):
        if tier_name:
            tier = tiers.get(tier_name)
            if tier is None:
                result.reject(index, BY_NAME["tier"].header, _("未知的梯度层级“%(name)s”。") % {"name": tier_name})
            else:
                tier_id[index], per_cluster[index] = tier.code, tier.per_cluster
        if cluster_name:
            if cluster_name in clusters:
                cluster_id[index] = clusters[cluster_name]
            else:
                result.reject(
                    index, BY_NAME["cluster"].header, _("未知的产业集群“%(name)s”。") % {"name": cluster_name}
                )
    values["status"] = np.where(present(values["status"]), values["status"], DesignationStatus.ACTIVE.value)
    given_until = present(values["valid_until"])
    values["valid_until"] = _valid_until(values, tier_id, tiers)
    columns = {
        **values,
        "enterprise_id": firms["id"].astype(float),
        "tier_id": tier_id,
        "cluster_id": cluster_id,
        "tier_per_cluster": per_cluster,
    }
    for name in ("batch", "document_no", "note"):
        for broken, message in field_violations(Designation._meta.get_field(name), values[name]):
            result.reject_rows(broken, BY_NAME[name].header, message)
    for rule, broken in violations(DESIGNATION_RULES, columns):
        result.reject_rows(broken, HEADER_OF.get(rule.field, rule.field), rule.message)

    known = (firms["id"] > 0) & present(tier_id)
    keys = [
        (int(e), t, None if c != c else int(c), str(d)) if k else None
        for e, t, c, d, k in zip(firms["id"], tier_id, cluster_id, values["recognized_on"], known, strict=True)
    ]
    key_codes = np.array([hash(k) if k else 0 for k in keys], dtype=np.int64)
    common.reject_duplicates(result, key_codes, known, _("同一认定在文件中出现了多次"), BY_NAME["uscc"].header)
    existing = _stored(keys)
    existing_id = np.array([existing[k][0] if k in existing else 0 for k in keys], dtype=np.int64)
    stored = {
        name: np.array([existing[k][1][name] if k in existing else None for k in keys], dtype=object)
        for name in UPDATABLE
    }
    given = {name: values[name] for name in UPDATABLE}
    given["valid_until"] = np.where(given_until | (existing_id == 0), _objects(values["valid_until"]), None)
    given["status"] = np.where(present(sheet.values["status"]) | (existing_id == 0), values["status"], None)
    for name in ("batch", "document_no", "note"):
        given[name] = _objects(given[name])
    merged_updatable, changed = common.merge(given, stored, UPDATABLE)
    for index in np.flatnonzero(changed["status"] & (existing_id > 0)):
        try:
            designation_transition_check(stored["status"][index], given["status"][index])
        except ValidationError as error:
            result.reject(index, BY_NAME["status"].header, error.messages[0])
    if not writer.may_publish:
        for index in np.flatnonzero(known):
            statuses = [merged_updatable["status"][index]] + ([stored["status"][index]] if existing_id[index] else [])
            message = designation_publish_error(may_publish=False, statuses=statuses)
            if message:
                result.reject(index, BY_NAME["status"].header, message)
    _check_overlaps(result, firms["id"], tier_id, cluster_id, values, merged_updatable, existing_id)

    result.labels = [
        f"{name or '—'} · {t or '—'} · {d if d == d else '—'}"
        for name, t, d in zip(firms["name"], values["tier"], values["recognized_on"], strict=True)
    ]
    common.reject_new_rows_of_archived(result, firms, known & (existing_id == 0), BY_NAME["uscc"].header)
    result.is_new = known & (existing_id == 0)
    common.record_changes(result, BY_NAME, given, stored, changed, UPDATABLE, rows=known & (existing_id > 0))
    merged = {
        "enterprise_id": firms["id"],
        "tier_id": tier_id,
        "cluster_id": cluster_id,
        "recognized_on": values["recognized_on"],
        **{name: merged_updatable[name] for name in UPDATABLE},
    }
    for name in ("batch", "document_no", "note"):
        merged[name] = np.where(present(merged[name]), merged[name], "")
    merged["valid_until"] = _dates(merged["valid_until"])
    result.writes = {"fields": FIELDS, "merged": merged, "existing_id": existing_id}
    return result


def _objects(column: np.ndarray) -> np.ndarray:
    """A column as Python objects (dates as datetime.date, missing as None) for comparing with stored rows."""
    if column.dtype.kind == "M":
        return np.array([None if np.isnat(v) else v.astype(dt.date) for v in column], dtype=object)
    return column.astype(object)


def _dates(column: np.ndarray) -> np.ndarray:
    return np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in column], dtype="M8[D]")


def _valid_until(values, tier_id, tiers) -> np.ndarray:
    out = values["valid_until"].copy()
    for index in np.flatnonzero(~present(out) & present(values["recognized_on"]) & present(tier_id)):
        end = validity_end(tiers[tier_id[index]], values["recognized_on"][index].astype(dt.date))
        if end is not None:
            out[index] = np.datetime64(end, "D")
    return out


def _stored(keys) -> dict:
    wanted = {k for k in keys if k}
    if not wanted:
        return {}
    enterprise_ids = sorted({k[0] for k in wanted})
    found = {}
    for start in range(0, len(enterprise_ids), common.LOOKUP_CHUNK):
        for row in Designation.objects.filter(
            enterprise_id__in=enterprise_ids[start : start + common.LOOKUP_CHUNK]
        ).values("id", "enterprise_id", "tier_id", "cluster_id", "recognized_on", *UPDATABLE):
            key = (
                row["enterprise_id"],
                row["tier_id"],
                row["cluster_id"],
                str(np.datetime64(row["recognized_on"], "D") if row["recognized_on"] else "NaT"),
            )
            if key in wanted:
                found[key] = (row["id"], row)
    return found


def _check_overlaps(result, enterprise_id, tier_id, cluster_id, values, merged, existing_id) -> None:
    holding = np.isin(merged["status"], [str(s) for s in HOLDING_STATUSES]) & (enterprise_id > 0) & present(tier_id)
    holding &= ~result.rejected
    candidates = [
        Holding(
            key=int(index),
            enterprise_id=int(enterprise_id[index]),
            tier_id=tier_id[index],
            cluster_id=None if cluster_id[index] != cluster_id[index] else int(cluster_id[index]),
            start=None if np.isnat(values["recognized_on"][index]) else values["recognized_on"][index].astype(dt.date),
            end=merged["valid_until"][index],
            pk=int(existing_id[index]) or None,
        )
        for index in np.flatnonzero(holding)
    ]
    for index, message in holding_overlaps(candidates).items():
        result.reject(index, BY_NAME["recognized_on"].header, message)
