"""Binary COPY in: rows of different layouts (NULLs, text and bytea lengths) arrive intact and in order."""

import numpy as np
import pytest
from django.db import connection

from tracker.pipeline.fetch import fetch_columns, int8_array
from tracker.pipeline.pgcopy import copy_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's"),
]

COLUMNS = [
    ("pos", "int8"),
    ("label", "text"),
    ("ref", "int8_or_null"),
    ("amount", "float8"),
    ("bits", "bytea"),
    ("flag", "bool"),
]


def test_mixed_layouts_keep_their_values_and_the_callers_order():
    rng = np.random.default_rng(3)
    n = 500
    labels = np.array(["gazelle", "little_giant", "chain_leader", "innovative_sme", None], dtype=object)
    # "little_giant" with a NULL ref and "chain_leader" with a ref once shared a group key: the
    # layouts must be told apart by every part, not by a sum of them.
    label = labels[rng.integers(0, len(labels), n)]
    ref = np.where(rng.random(n) < 0.5, np.nan, rng.integers(1, 10**6, n).astype(float))
    amount = np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n))
    widths = rng.integers(0, 5, n)
    matrix = rng.integers(0, 256, (n, 4), dtype=np.uint8)
    flag = rng.random(n) < 0.5
    order = rng.permutation(n)  # the caller's order, unrelated to any layout
    data = {
        "pos": order.astype(np.int64),
        "label": label[order],
        "ref": ref[order],
        "amount": amount[order],
        "bits": (matrix[order], widths[order]),
        "flag": flag[order],
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE copy_probe (pos bigint, label text, ref bigint, amount float8, bits bytea, flag bool)"
        )
    with connection.connection.cursor() as cursor:
        copy_in(cursor, "copy_probe", COLUMNS, data, n)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pos, label, ref, amount, bits, flag FROM copy_probe ORDER BY ctid")
        rows = cursor.fetchall()
    assert [r[0] for r in rows] == order.tolist()
    for pos, got_label, got_ref, got_amount, got_bits, got_flag in rows:
        assert got_label == label[pos]
        assert got_ref == (None if np.isnan(ref[pos]) else int(ref[pos]))
        assert (got_amount is None) == bool(np.isnan(amount[pos]))
        if got_amount is not None:
            assert got_amount == amount[pos]
        assert bytes(got_bits) == matrix[pos, : widths[pos]].tobytes()
        assert got_flag == flag[pos]


def test_ids_as_an_array_literal_arrive_as_the_same_ids():
    """The literal that replaces psycopg's element-by-element list adaptation (``int8_array``), in a
    plain query and in a COPY, whose parameters psycopg quotes into the statement's text."""
    ids = np.array([2**40 + 7, 1, 0, 5_000_000, 3], dtype=np.int64)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int8[]", [int8_array(ids)])
        assert cursor.fetchone()[0] == ids.tolist()
        cursor.execute("SELECT cardinality(%s::int8[])", [int8_array(())])
        assert cursor.fetchone()[0] == 0
    got = fetch_columns("SELECT unnest(%s::int8[]) AS id", [int8_array(ids)], [("id", "int8")])
    assert sorted(got["id"].tolist()) == sorted(ids.tolist())
