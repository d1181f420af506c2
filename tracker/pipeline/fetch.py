"""Fetch numeric columns set-based: binary COPY on PostgreSQL, a plain cursor elsewhere."""

from __future__ import annotations

import numpy as np
from django.db import connection

from tracker.pipeline.pgcopy import copy_out


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def fetch_columns(sql: str, params, columns: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Run ``sql`` and return one NumPy array per column (types int8/int2/float8).

    On PostgreSQL the select list must never yield NULL (coalesce to NaN or a sentinel).
    """
    if is_postgresql():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            return copy_out(cursor, sql, params, columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = {}
    for j, (name, kind) in enumerate(columns):
        if kind == "float8":
            out[name] = np.array([np.nan if r[j] is None else float(r[j]) for r in rows], dtype=np.float64)
        else:
            out[name] = np.array([r[j] for r in rows], dtype=np.int64)
    return out
