"""Database writes for demo batches: COPY on PostgreSQL, large ``bulk_create`` batches elsewhere.

Demo rows bypass django-simple-history (no per-row signals), so they have no history rows until
someone edits them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import numpy as np
from django.db import connection

from tracker.demo.distributions import Column, DemoBatch, Table
from tracker.models import AnnualMetrics, ClusterMembership, Designation, Enterprise

NULL = "\\N"
_RATIO_TEXT = np.array([f"{i / 10_000:.4f}" for i in range(10_001)], dtype=object)
_SCORE_TEXT = np.array([f"{i / 10:.1f}" for i in range(1_001)], dtype=object)
_BOOL_TEXT = np.array(["f", "t"], dtype=object)
_SMALL_INT_TEXT = np.array([str(i) for i in range(100_000)], dtype=object)


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


# ------------------------------------------------------------------------------------- PostgreSQL


def _text(column: Column) -> np.ndarray:
    """The column as an object array of COPY text fields."""
    values = column.values
    if column.kind in ("int", "money"):
        ints = values.astype(np.int64)
        if ints.size and ints.min() >= 0 and ints.max() < len(_SMALL_INT_TEXT):
            out = _SMALL_INT_TEXT[ints]
        else:  # str() on Python ints beats NumPy's astype(str) by a factor of 2–3
            out = np.array(list(map(str, ints.tolist())), dtype=object)
    elif column.kind == "ratio":
        out = _RATIO_TEXT[values.astype(np.int64)]
    elif column.kind == "score":
        out = _SCORE_TEXT[values.astype(np.int64)]
    elif column.kind == "bool":
        out = _BOOL_TEXT[values.astype(np.int64)]
    elif column.kind == "date":
        out = np.datetime_as_string(values, unit="D").astype(object)
    elif column.kind == "choice":
        out = np.array([str(label) for label in column.labels], dtype=object)[values]
    else:
        out = values.astype(object, copy=True)
    if column.null is not None and column.null.any():
        out = out.copy() if out is values else out
        out[column.null] = NULL
    return out


def copy_payload(model, table: Table, extra: dict[str, np.ndarray]) -> tuple[str, bytes, int]:
    """The COPY statement and its text data for one table of a batch (CPU only, no database access)."""
    fields = {**extra, **{name: _text(column) for name, column in table.columns.items()}}
    rows = len(next(iter(fields.values())))
    quoted = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
    if not rows:
        return sql, b"", 0
    text = "\n".join(map("\t".join, zip(*(column.tolist() for column in fields.values()), strict=True))) + "\n"
    return sql, text.encode(), rows


def copy_send(sql: str, data: bytes) -> None:
    if not data:
        return
    with connection.cursor() as cursor, cursor.connection.cursor().copy(sql) as copy:
        step = 1 << 23
        for start in range(0, len(data), step):
            copy.write(data[start : start + step])


def _allocate_ids(model, count: int) -> np.ndarray:
    """Take ``count`` ids from the table's sequence in one round trip."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64, count=count)


@contextlib.contextmanager
def foreign_keys_dropped(models_: list):
    """Drop the foreign keys of these tables for a bulk load and re-add them afterwards.

    Row-by-row FK triggers cost more than the COPY itself; re-adding a constraint validates all rows
    in one join. The constraints are restored with their exact names and definitions, inside the
    caller's transaction, so a failure leaves the schema untouched.
    """
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fire what is queued; ALTER refuses pending events
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [tables],
        )
        constraints = cursor.fetchall()
        for table, name, _ in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")


def allocate_enterprise_ids(count: int) -> np.ndarray:
    return _allocate_ids(Enterprise, count) if count else np.empty(0, dtype=np.int64)


def copy_payloads(batch: DemoBatch, ids: np.ndarray, *, now: dt.datetime) -> list[tuple[str, str, bytes, int]]:
    """(table key, COPY statement, data, row count) for every table of a batch, parents first."""
    stamp = now.isoformat()
    n = len(batch.enterprises)
    extra = {"id": _SMALL_INT_TEXT[ids] if ids.max() < len(_SMALL_INT_TEXT) else ids.astype(str).astype(object)}
    extra.update({"created_at": np.full(n, stamp, dtype=object), "updated_at": np.full(n, stamp, dtype=object)})
    payloads = [("enterprises", *copy_payload(Enterprise, batch.enterprises, extra))]
    for key, model, stamps in (
        ("memberships", ClusterMembership, ()),
        ("metrics", AnnualMetrics, ("updated_at",)),
        ("designations", Designation, ("created_at", "updated_at")),
    ):
        table: Table = getattr(batch, key)
        owner_ids = np.array(list(map(str, ids[table.owner].tolist())), dtype=object)
        extra = {"enterprise_id": owner_ids}
        extra.update({s: np.full(len(owner_ids), stamp, dtype=object) for s in stamps})
        if model is AnnualMetrics:
            extra["source"] = np.full(len(owner_ids), AnnualMetrics._meta.get_field("source").default, dtype=object)
            extra["distinctiveness_attested_at"] = np.where(_attested(table), stamp, NULL).astype(object)
        payloads.append((key, *copy_payload(model, table, extra)))
    return payloads


def _attested(metrics: Table) -> np.ndarray:
    """Rows whose 特色化 points are known: a bureau attested them (when the demo was made, by nobody named)."""
    return ~metrics.columns["distinctiveness_points"].null


# -------------------------------------------------------------------------------- portable (ORM)


def _python(column: Column) -> list:
    values = column.values
    if column.kind in ("int", "money"):
        out = values.astype(np.int64).tolist()
    elif column.kind == "ratio":
        out = [Decimal(s) for s in _RATIO_TEXT[values.astype(np.int64)]]
    elif column.kind == "score":
        out = [Decimal(s) for s in _SCORE_TEXT[values.astype(np.int64)]]
    elif column.kind == "bool":
        out = values.astype(bool).tolist()
    elif column.kind == "date":
        out = values.astype("datetime64[D]").astype(object).tolist()
    elif column.kind == "choice":
        out = [column.labels[i] for i in values.tolist()]
    else:
        out = values.tolist()
    if column.null is not None:
        for i in np.flatnonzero(column.null).tolist():
            out[i] = None
    return out


def _instances(model, table: Table, extra: dict[str, list]) -> list:
    fields = {**extra, **{name: _python(column) for name, column in table.columns.items()}}
    names = list(fields)
    return [model(**dict(zip(names, row, strict=True))) for row in zip(*fields.values(), strict=True)]


def write_orm(batch: DemoBatch, *, now: dt.datetime, batch_size: int = 2_000) -> dict[str, int]:
    enterprises = _instances(Enterprise, batch.enterprises, {})
    Enterprise.objects.bulk_create(enterprises, batch_size=batch_size)
    if any(e.pk is None for e in enterprises):  # backends that do not return ids from bulk inserts
        usccs = [e.uscc for e in enterprises]
        by_uscc = {}
        for start in range(0, len(usccs), 900):
            by_uscc.update(Enterprise.objects.filter(uscc__in=usccs[start : start + 900]).values_list("uscc", "id"))
        ids = np.array([by_uscc[u] for u in usccs], dtype=np.int64)
    else:
        ids = np.array([e.pk for e in enterprises], dtype=np.int64)
    counts = {"enterprises": len(enterprises)}
    for key, model in (("memberships", ClusterMembership), ("metrics", AnnualMetrics), ("designations", Designation)):
        table: Table = getattr(batch, key)
        extra = {"enterprise_id": ids[table.owner].tolist()}
        if model is AnnualMetrics:
            extra["distinctiveness_attested_at"] = [now if known else None for known in _attested(table).tolist()]
        objects = _instances(model, table, extra)
        model.objects.bulk_create(objects, batch_size=batch_size)
        counts[key] = len(objects)
    return counts
