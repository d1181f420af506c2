"""Planner statistics after a large write.

A cold run writes millions of results into a table the planner has no statistics on, and
autovacuum's ANALYZE comes later (or never, where autovacuum is off): until then PostgreSQL plans
the API's and the admin's queries on the results blind. So when a run has rewritten at least
TIDU_ANALYZE_AFTER_FRACTION of the results table (autovacuum's own default threshold is 10 %), the
tables it wrote are analysed as soon as it closes.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection

from tracker.models import EligibilityResult, InputDigest, TierChange
from tracker.pipeline.fetch import is_postgresql

logger = logging.getLogger(__name__)

WRITTEN_BY_A_RUN = (EligibilityResult, InputDigest, TierChange)


def analyze_after_write(*, rows_written: int) -> bool:
    """ANALYZE the tables a run writes when ``rows_written`` is a large share of the results (or
    the results were never analysed). Returns whether it ran."""
    if not is_postgresql() or rows_written <= 0:
        return False
    results = EligibilityResult._meta.db_table
    with connection.cursor() as cursor:
        # reltuples is -1 until the table's first ANALYZE (or VACUUM).
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [results])
        estimate = cursor.fetchone()[0]
        if estimate >= 0 and rows_written < settings.TIDU["ANALYZE_AFTER_FRACTION"] * max(estimate, 1.0):
            return False
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in WRITTEN_BY_A_RUN)
        started = time.perf_counter()
        cursor.execute(f"ANALYZE {tables}")
    logger.info(
        "analysed %s after %s rows written (%.1f s)", tables, rows_written, time.perf_counter() - started,
        extra={"rows_written": rows_written},
    )
    return True
