"""Set-based writes with history: many rows created or updated in a few statements.

The importer writes a hundred thousand metrics rows in one transaction. Each row gets its history row
(who imported it, when, why), as a save through the single-row services would give it. On PostgreSQL
rows and history go in by COPY (new rows take their ids from the table's sequence first; updates go
through a temporary table and one UPDATE … FROM); elsewhere simple-history's bulk helpers do the same
work more slowly. Validation is the caller's: these functions write what they are given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

BATCH = 1000


def python_values(field: models.Field, values) -> list:
    """A column (NumPy array or list) as Python values for ``field`` (NaN/NaT → None)."""
    array = np.asarray(values)
    if array.dtype.kind == "f":
        missing = np.isnan(array)
        if isinstance(field, models.DecimalField):
            places = field.decimal_places
            return [None if m else Decimal(f"{v:.{places}f}") for v, m in zip(array.tolist(), missing, strict=True)]
        if isinstance(field, models.FloatField):
            return [None if m else v for v, m in zip(array.tolist(), missing, strict=True)]
        return [None if m else int(v) for v, m in zip(array.tolist(), missing, strict=True)]
    if array.dtype.kind == "M":
        return [None if np.isnat(v) else v.astype(dt.date) for v in array]
    if array.dtype.kind in "iu":
        return array.tolist()
    return list(values)


def _tracked(model) -> list[models.Field]:
    historical = model.history.model
    return [f for f in historical._meta.concrete_fields if not f.name.startswith("history_")]


def rows_create(model, columns: dict[str, Sequence], *, n: int, user=None, reason: str = "") -> list[int]:
    """Insert ``n`` rows given column by column (attribute names, e.g. ``enterprise_id``); returns their ids.

    Columns not given take the field's default; ``created_at``/``updated_at`` are set to now.
    """
    if n == 0:
        return []
    now = timezone.now()
    values = _complete(model, columns, n, now)
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            ids = [row[0] for row in cursor.fetchall()]
        values["id"] = ids
        _copy(table, values, n)
        _history(model, "SELECT unnest(%s::bigint[]) AS id", [ids], now=now, kind="+", user=user, reason=reason)
        return ids
    objects = [model(**{name: column[i] for name, column in values.items()}) for i in range(n)]
    bulk_create_with_history(
        objects, model, batch_size=BATCH, default_user=_user(user), default_change_reason=reason, default_date=now
    )
    return [obj.pk for obj in objects]


def rows_update(model, columns: dict[str, Sequence], *, n: int, user=None, reason: str = "") -> None:
    """Set the given columns (attribute names) of the rows ``columns["id"]``; ``updated_at`` is set to
    now and a versioned row's ``version`` goes up by one, as a single-row save would (an API client's
    If-Match or an open admin form then sees the import). Each row's history gets a snapshot of the
    row as updated."""
    if n == 0:
        return
    now = timezone.now()
    values = _complete(model, columns, n, now, defaults=False)
    names = [name for name in values if name != "id"]
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        staging = f"{table}_import_staging"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {staging}")
            column_list = ", ".join(["id", *names])
            cursor.execute(f"CREATE TEMP TABLE {staging} AS SELECT {column_list} FROM {table} WITH NO DATA")
        _copy(staging, values, n)
        assignments = ", ".join([f"{name} = s.{name}" for name in names] + _bump(model, "t.version + 1"))
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s WHERE t.id = s.id")
        _history(model, f"SELECT id FROM {staging}", [], now=now, kind="~", user=user, reason=reason)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {staging}")
        return
    current = model.objects.in_bulk(values["id"])
    objects = []
    for i, pk in enumerate(values["id"]):
        obj = current[pk]
        for name in names:
            setattr(obj, name, values[name][i])
        if _bump(model, ""):
            obj.version += 1
        objects.append(obj)
    fields = [field.name for field in model._meta.concrete_fields if field.attname in names] + (
        ["version"] if _bump(model, "") else []
    )
    bulk_update_with_history(
        objects,
        model,
        fields,
        batch_size=BATCH,
        default_user=_user(user),
        default_change_reason=reason,
        default_date=now,
    )


def _bump(model, expression: str) -> list[str]:
    """The SET clause that bumps a versioned model's version (models/versioning.py); none otherwise."""
    return [f"version = {expression}"] if any(f.name == "version" for f in model._meta.concrete_fields) else []


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _complete(model, columns, n, now, *, defaults: bool = True) -> dict[str, list]:
    """Python values per attribute name, with timestamps and (for inserts) defaults filled in."""
    values = {}
    for field in model._meta.concrete_fields:
        name = field.attname
        if name in columns:
            values[name] = python_values(field, columns[name])
        elif isinstance(field, models.DateTimeField) and (field.auto_now or (field.auto_now_add and defaults)):
            values[name] = [now] * n
        elif defaults and not field.primary_key:
            values[name] = [field.get_default()] * n
    return values


def _copy(table: str, values: dict[str, list], n: int) -> None:
    names = list(values)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in zip(*(values[name] for name in names), strict=True):
            copy.write_row(row)


def _history(model, ids_sql: str, params: list, *, now, kind: str, user, reason: str) -> None:
    """One history row per id, copied from the row as stored now (one INSERT … SELECT)."""
    historical = model.history.model
    tracked = [f.column for f in historical._meta.concrete_fields if not f.name.startswith("history_")]
    user = _user(user)
    columns = ", ".join([*tracked, "history_date", "history_type", "history_change_reason", "history_user_id"])
    select = ", ".join(f"t.{c}" for c in tracked)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {historical._meta.db_table} ({columns}) "
            f"SELECT {select}, %s, %s, %s, %s FROM {model._meta.db_table} AS t WHERE t.id IN ({ids_sql})",
            [now, kind, reason or None, user.pk if user else None, *params],
        )
