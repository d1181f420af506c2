"""Binary COPY in and out of PostgreSQL with NumPy, without a Python object per value.

Reading: a query whose columns are all fixed-width and never NULL (the SQL coalesces NULL to NaN
or a sentinel) has a constant row size, so the COPY stream parses with one np.frombuffer.
Writing: rows are grouped by their pattern of NULLs and text lengths; inside a group every row has
the same layout, so each group is one structured array serialised in one go.
"""

from __future__ import annotations

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH_US = np.int64(946_684_800_000_000)  # 2000-01-01 in Unix microseconds

_READ_TYPES = {"int8": ">i8", "float8": ">f8", "int4": ">i4", "int2": ">i2"}
_NATIVE = {"int8": np.int64, "float8": np.float64, "int4": np.int32, "int2": np.int16}


def copy_out(cursor, sql: str, params, columns: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Run ``COPY (sql) TO STDOUT (FORMAT binary)`` and return native-endian arrays by column name.

    ``columns`` are (name, type) in select order, type one of int8/int4/int2/float8; every column must
    be NOT NULL in the result (coalesce in SQL).
    """
    # Binary COPY sends each column in its own SQL type (smallint fiscal_year, int4 CASE results...),
    # so cast every column to the declared type: the fixed row layout below depends on it.
    casts = ", ".join(f"q.c{i}::{kind}" for i, (_, kind) in enumerate(columns))
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    sql = f"SELECT {casts} FROM ({sql}) AS q({aliases})"
    buffer = bytearray()
    with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)", params or None) as copy:
        for block in copy:
            buffer += block
    fields = [("count", ">i2")]
    for name, kind in columns:
        fields += [(f"{name}__len", ">i4"), (name, _READ_TYPES[kind])]
    dtype = np.dtype(fields)
    body = len(buffer) - len(HEADER) - len(TRAILER)
    rows = body // dtype.itemsize if body > 0 else 0
    table = np.frombuffer(buffer, dtype=dtype, count=rows, offset=len(HEADER))
    if rows and (table["count"] != len(columns)).any():
        raise ValueError("unexpected column count in COPY stream")
    for name, kind in columns:
        if rows and (table[f"{name}__len"] != np.dtype(_READ_TYPES[kind]).itemsize).any():
            raise ValueError(f"column {name}: NULL or a value not of type {kind} in COPY stream")
    return {name: table[name].astype(_NATIVE[kind]) for name, kind in columns}


def copy_in(cursor, table: str, columns: list[tuple[str, str]], data: dict[str, np.ndarray], n: int) -> None:
    """COPY ``n`` rows into ``table``. Types: int8, int2, float8 (NaN → NULL), int8_or_null (float64
    values, NaN → NULL), bool, text (object array of str or None), bytea (2-D uint8 array),
    timestamptz (int64 Unix microseconds)."""
    if n == 0:
        return
    pattern = np.zeros(n, dtype=np.int64)
    lengths: dict[str, np.ndarray] = {}
    shift = 0
    for name, kind in columns:
        values = data[name]
        if kind in ("float8", "int8_or_null"):
            pattern |= np.isnan(values).astype(np.int64) << shift
            shift += 1
        elif kind == "text":
            # Encode each distinct value once (tier codes, statuses: a handful), not once per row.
            missing = np.equal(values, None)
            distinct, inverse = np.unique(np.where(missing, "", values).astype(str), return_inverse=True)
            distinct_bytes = [value.encode() for value in distinct]
            encoded = np.array([*distinct_bytes, None], dtype=object)[np.where(missing, len(distinct), inverse)]
            data = {**data, name: encoded}
            lens = np.array([*(len(b) for b in distinct_bytes), -1], dtype=np.int64)[
                np.where(missing, len(distinct), inverse)
            ]
            lengths[name] = lens
            # Text lengths enter the group key; there are only a handful of distinct ones.
            pattern = pattern * 1_000 + (lens + 1)
    chunks = [HEADER]
    for key in np.unique(pattern):
        rows = np.flatnonzero(pattern == key)
        chunks.append(_serialise_group(columns, data, lengths, rows))
    chunks.append(TRAILER)
    payload = b"".join(chunks)
    names = ", ".join(name for name, _ in columns)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(payload)


def _serialise_group(columns, data, lengths, rows) -> bytes:
    first = rows[0]
    fields = [("count", ">i2")]
    plan = []
    for name, kind in columns:
        values = data[name]
        if kind in ("float8", "int8_or_null") and np.isnan(values[first]):
            fields.append((f"{name}__len", ">i4"))
            plan.append((name, kind, -1))
        elif kind == "text":
            size = int(lengths[name][first])
            fields.append((f"{name}__len", ">i4"))
            if size >= 0:
                fields.append((name, f"S{size}" if size else "V0"))
            plan.append((name, kind, size))
        elif kind == "bytea":
            size = values.shape[1]
            fields += [(f"{name}__len", ">i4"), (name, f"V{size}" if size else "V0")]
            plan.append((name, kind, size))
        else:
            size = {"int8": 8, "int8_or_null": 8, "int2": 2, "float8": 8, "bool": 1, "timestamptz": 8}[kind]
            code = {"int8": ">i8", "int8_or_null": ">i8", "int2": ">i2", "float8": ">f8", "bool": "u1",
                    "timestamptz": ">i8"}[kind]
            fields += [(f"{name}__len", ">i4"), (name, code)]
            plan.append((name, kind, size))
    out = np.zeros(len(rows), dtype=np.dtype(fields))
    out["count"] = len(columns)
    for name, kind, size in plan:
        out[f"{name}__len"] = size
        if size < 0:
            continue
        values = data[name]
        if kind == "text":
            if size:
                out[name] = values[rows].astype(f"S{size}")
        elif kind == "bytea":
            if size:
                out[name] = np.ascontiguousarray(values[rows]).view(f"V{size}").ravel()
        elif kind == "timestamptz":
            out[name] = values[rows] - PG_EPOCH_US
        elif kind == "bool":
            out[name] = values[rows].astype(np.uint8)
        elif kind == "int8_or_null":
            out[name] = values[rows].astype(np.int64)
        else:
            out[name] = values[rows]
    return out.tobytes()


def copy_out_columns(cursor, sql: str, params, columns: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Like :func:`copy_out`, but the server aggregates each column into one array (``array_agg``), so
    the result travels as a single COPY row instead of one protocol message per row: the client-side
    cost per row (a Python iteration per CopyData message, about 4 µs) disappears. Row order and
    alignment are those of the query (all aggregates consume the same input rows in the same order).
    """
    aggs = ", ".join(f"array_agg(q.c{i}::{kind})" for i, (_, kind) in enumerate(columns))
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    buffer = bytearray()
    with cursor.copy(
        f"COPY (SELECT {aggs} FROM ({sql}) AS q({aliases})) TO STDOUT (FORMAT binary)", params or None
    ) as copy:
        for block in copy:
            buffer += block
    out = {}
    pos = len(HEADER) + 2  # the single row's field count
    for name, kind in columns:
        size = int.from_bytes(buffer[pos : pos + 4], "big", signed=True)
        pos += 4
        ndim = int.from_bytes(buffer[pos : pos + 4], "big") if size > 0 else 0
        if ndim == 0:  # no rows: array_agg gives NULL
            out[name] = np.empty(0, dtype=_NATIVE[kind])
            pos += max(size, 0)
            continue
        if int.from_bytes(buffer[pos + 4 : pos + 8], "big"):
            raise ValueError(f"NULL in column {name} (coalesce in SQL)")
        count = int.from_bytes(buffer[pos + 12 : pos + 16], "big")
        element = np.dtype([("len", ">i4"), ("value", _READ_TYPES[kind])])
        table = np.frombuffer(buffer, dtype=element, count=count, offset=pos + 20)
        out[name] = table["value"].astype(_NATIVE[kind])
        pos += size
    return out
