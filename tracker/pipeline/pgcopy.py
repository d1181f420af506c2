"""Binary COPY in and out of PostgreSQL with NumPy, without a Python object per value.

Reading: a query whose columns are all fixed-width and never NULL (the SQL coalesces NULL to NaN
or a sentinel) has a constant row size, so the COPY stream parses with one np.frombuffer.
Writing: rows are grouped by their pattern of NULLs and text and bytea lengths; inside a group every
row has the same layout, so each group is one structured array serialised in one go, and the groups'
bytes are then interleaved back into the caller's row order.
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
    """COPY ``n`` rows into ``table``, in the order given. Types: int8, int2, float8 (NaN → NULL),
    int8_or_null (float64 values, NaN → NULL), bool, text (object array of str or None), bytea (a
    2-D uint8 array, or a pair (2-D array, byte length per row) for values of different lengths),
    timestamptz (int64 Unix microseconds)."""
    if n == 0:
        return
    data = dict(data)
    layout = []  # per row, what makes its byte layout differ from another row's
    lengths: dict[str, np.ndarray] = {}
    for name, kind in columns:
        values = data[name]
        if kind in ("float8", "int8_or_null"):
            layout.append(np.isnan(values).astype(np.int64))
        elif kind == "text":
            data[name], lengths[name] = _encode_text(values)
            layout.append(lengths[name] + 1)
        elif kind == "bytea":
            matrix, sizes = values if isinstance(values, tuple) else (values, np.full(n, values.shape[1]))
            data[name], lengths[name] = matrix, np.asarray(sizes, dtype=np.int64)
            layout.append(lengths[name])
    group_of_row = _layout_groups(layout, n)
    blocks = []
    for group in np.unique(group_of_row):
        rows = np.flatnonzero(group_of_row == group)
        blocks.append((rows, _serialise_group(columns, data, lengths, rows)))
    payload = b"".join([HEADER, _in_row_order(blocks, n), TRAILER])
    names = ", ".join(name for name, _ in columns)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(payload)


def _encode_text(values) -> tuple[np.ndarray, np.ndarray]:
    """(bytes per row as an object array, byte length per row with -1 for NULL). ``values`` is an
    object array of str or None, or a pair (codes, labels) where code -1 is NULL: the labels (tier
    codes, statuses: a handful) are encoded once each, not once per row."""
    if isinstance(values, tuple):
        codes, labels = values
        codes = np.asarray(codes, dtype=np.int64)
    else:
        missing = np.equal(values, None)
        labels, inverse = np.unique(np.where(missing, "", values).astype(str), return_inverse=True)
        codes = np.where(missing, -1, inverse.ravel())
    encoded = [str(label).encode() for label in labels]
    which = np.where(codes < 0, len(encoded), codes)
    as_bytes = np.array([*encoded, None], dtype=object)[which]
    sizes = np.array([*(len(b) for b in encoded), -1], dtype=np.int64)[which]
    return as_bytes, sizes


def _layout_groups(layout: list[np.ndarray], n: int) -> np.ndarray:
    """One integer per row naming its layout: the parts (each a small non-negative integer) as the
    digits of a mixed-radix number, so that different layouts never share a number."""
    bases = [int(part.max()) + 1 if len(part) else 1 for part in layout]
    if np.prod([float(b) for b in bases]) >= 2.0**62:  # too many parts to fit: let NumPy sort them out
        return np.unique(np.stack(layout, axis=1), axis=0, return_inverse=True)[1].ravel()
    group = np.zeros(n, dtype=np.int64)
    for part, base in zip(layout, bases, strict=True):
        group = group * base + part
    return group


def _in_row_order(blocks: list[tuple[np.ndarray, np.ndarray]], n: int) -> bytes:
    """Interleave the serialised groups back into the callers' row order: the order rows reach the
    table is the order they sit in its pages and indexes (rows sorted by enterprise keep each
    enterprise's results together, which makes later partial rewrites touch fewer pages)."""
    if len(blocks) == 1:
        return blocks[0][1].tobytes()
    sizes = np.empty(n, dtype=np.int64)
    for rows, block in blocks:
        sizes[rows] = block.dtype.itemsize
    starts = np.cumsum(sizes) - sizes
    out = np.empty(int(sizes.sum()), dtype=np.uint8)
    for rows, block in blocks:
        width = block.dtype.itemsize
        out[starts[rows][:, None] + np.arange(width)] = block.view(np.uint8).reshape(len(rows), width)
    return out.tobytes()


def _serialise_group(columns, data, lengths, rows) -> np.ndarray:
    """Rows sharing one layout (same NULLs, same text and bytea lengths) as one structured array."""
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
            size = int(lengths[name][first])
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
                out[name] = np.ascontiguousarray(values[rows, :size]).view(f"V{size}").ravel()
        elif kind == "timestamptz":
            out[name] = values[rows] - PG_EPOCH_US
        elif kind == "bool":
            out[name] = values[rows].astype(np.uint8)
        elif kind == "int8_or_null":
            out[name] = values[rows].astype(np.int64)
        else:
            out[name] = values[rows]
    return out


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
