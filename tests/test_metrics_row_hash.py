"""Each metrics row keeps a hash of its year and metrics (migration 0032), which the nightly's input
digests combine per enterprise from the unique index alone."""

import json
import re

import numpy as np
import pytest
from django.db import connection

from tests.factories import AnnualMetricsFactory, EnterpriseFactory
from tracker.models import AnnualMetrics
from tracker.pipeline.columns import METRICS
from tracker.pipeline.facts_loader import Slice, load_metrics
from tracker.pipeline.input_digest import _metrics_fingerprints, metrics_fingerprint_sql

pytestmark = pytest.mark.django_db
TABLE = AnnualMetrics._meta.db_table


def row_hash(pk: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_hash FROM {TABLE} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_hash_covers_the_year_and_every_metric_the_engine_reads():
    """A metric added to the engine without a migration redefining the hash would go unseen by the
    nightly: its changes would never re-evaluate anyone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generation_expression FROM information_schema.columns WHERE table_name = %s "
            "AND column_name = 'row_hash'",
            [TABLE],
        )
        expression = cursor.fetchone()[0]
    hashed = re.search(r"ROW\((.*?)\)", expression).group(1)
    assert {name.strip() for name in hashed.split(",")} == {"fiscal_year"} | {f.name for f in METRICS}


def test_the_hash_follows_the_content_not_the_bookkeeping():
    metrics = AnnualMetricsFactory(revenue=1000, rd_expense=50)
    first = row_hash(metrics.pk)
    AnnualMetrics.objects.filter(pk=metrics.pk).update(source="imported", version=7)  # not an input
    assert row_hash(metrics.pk) == first
    AnnualMetrics.objects.filter(pk=metrics.pk).update(rd_expense=51)
    assert row_hash(metrics.pk) != first
    AnnualMetrics.objects.filter(pk=metrics.pk).update(rd_expense=None)  # missing is not zero
    missing = row_hash(metrics.pk)
    AnnualMetrics.objects.filter(pk=metrics.pk).update(rd_expense=0)
    assert row_hash(metrics.pk) not in (first, missing)


def test_two_years_swapping_their_figures_change_the_fingerprint():
    enterprise = EnterpriseFactory()
    a = AnnualMetricsFactory(enterprise=enterprise, fiscal_year=2024, revenue=100)
    b = AnnualMetricsFactory(enterprise=enterprise, fiscal_year=2025, revenue=200)
    part = Slice(enterprise.pk, enterprise.pk)
    ids = np.array([enterprise.pk])
    before, rows = _metrics_fingerprints(part, ids, 2025)
    assert rows.tolist() == [2]
    AnnualMetrics.objects.filter(pk=a.pk).update(revenue=200)
    AnnualMetrics.objects.filter(pk=b.pk).update(revenue=100)
    after, _ = _metrics_fingerprints(part, ids, 2025)
    assert after[0] != before[0]
    # The loader's fingerprint of the rows it reads is the server's, which the digests compare.
    loaded = load_metrics(part=part, ids=ids, fiscal_year=2025, fingerprint=True)
    assert loaded.fingerprint.tolist() == after.tolist()


def test_the_nightly_fingerprint_reads_the_unique_index_alone():
    """With the hash included in the unique index, the fingerprint query can be answered from the
    index (an index-only scan) instead of reading every metrics row of the chunk."""
    enterprise = EnterpriseFactory()
    AnnualMetricsFactory(enterprise=enterprise, fiscal_year=2025)
    sql, params = metrics_fingerprint_sql(Slice(1, 10_000_000), 2025)
    with connection.cursor() as cursor:
        # A test table is tiny, where a sequential scan always wins: ask what the index can do.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = json.dumps(cursor.fetchone()[0])
    assert '"Index Only Scan"' in plan and "metrics_one_row_per_year" in plan
