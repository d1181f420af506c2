"""The results' secondary indexes, left out while a full run fills an empty results table.

A full run into an empty table — the first run of an install, `recompute --rebuild` — writes every
result once. Entering each row into the secondary indexes as it comes costs the write path most: the
gap index is ordered by shortfall, so consecutive rows land on leaves all over it, and each leaf
written after a checkpoint goes to the WAL whole. Built once at the end from the finished table
(a sort, one sequential write) the same indexes cost a fraction (docs/benchmarks.md, "The raised
targets at 1M"). The unique index stays: it keeps one result per key and serves every chunk's read.

While they are missing the lists they serve (eligible, gaps, near misses) are slow, but there is
nothing in them yet. The run that left them out builds them as it closes, whether it succeeded or
failed (``run_completed``); the sweeper builds any still missing once no such run is open, so a run
that never closes (its workers gone for good) cannot leave them out for long.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, connection, transaction

from tracker.models import EligibilityResult, EvaluationRun
from tracker.pipeline.fetch import is_postgresql

logger = logging.getLogger(__name__)

# What a run records in its params when it left the indexes out.
DEFERRED = "indexes_deferred"


def secondary_indexes() -> list:
    return list(EligibilityResult._meta.indexes)


def missing_indexes() -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [EligibilityResult._meta.db_table])
        present = {row[0] for row in cursor.fetchall()}
    return [index for index in secondary_indexes() if index.name not in present]


def indexes_defer_if_empty() -> bool:
    """Drop the secondary indexes when no result is stored at all; returns whether they were dropped.

    Called in the transaction that starts a full run. Dropping takes the table's exclusive lock: if a
    reader holds it past a short wait, the run goes ahead with the indexes in place."""
    if not is_postgresql():
        return False
    table = EligibilityResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
        if cursor.fetchone()[0]:
            return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            for index in secondary_indexes():
                cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(index.name)}")
            cursor.execute("SET LOCAL lock_timeout = DEFAULT")
    except DatabaseError:
        logger.info("results table busy: the run keeps its secondary indexes")
        return False
    return True


def indexes_build_missing() -> list[str]:
    """Build the secondary indexes that are missing (all of them after a deferring run); returns
    their names."""
    if not is_postgresql():
        return []
    missing = missing_indexes()
    if not missing:
        return []
    started = time.perf_counter()
    with connection.schema_editor() as editor:
        for index in missing:
            editor.add_index(EligibilityResult, index)
    names = [index.name for index in missing]
    logger.info(
        "built the results' indexes %s in %.1f s", ", ".join(names), time.perf_counter() - started,
        extra={"indexes": names},
    )
    return names


def indexes_restore_unless_deferred() -> list[str]:
    """The sweeper's safety net: build missing indexes unless an open run left them out."""
    if not is_postgresql():
        return []
    open_deferring = EvaluationRun.objects.filter(
        status__in=[EvaluationRun.Status.PENDING, EvaluationRun.Status.RUNNING], **{f"params__{DEFERRED}": True}
    )
    if open_deferring.exists():
        return []
    return indexes_build_missing()
