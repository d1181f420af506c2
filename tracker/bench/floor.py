"""The I/O floor T_io: COPY the loader's inputs out (bytes discarded) + COPY the results into staging.

The SELECTs are the ones tracker/pipeline/facts_loader.py and results_store.py run per chunk, here
over the whole id range at once (one statement each), which is the cheapest way to read the same
rows. The result rows copied in are the rows the cold recompute wrote, read back beforehand into a
temporary file so only the COPY FROM STDIN is timed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time

from django.db import connection

from tracker.models import AnnualMetrics, ClusterMembership, Designation, EligibilityResult, Enterprise
from tracker.pipeline.columns import ENTERPRISE_ATTRIBUTES, METRICS, encoded
from tracker.pipeline.facts_loader import YEARS_BACK

BLOCK = 1 << 20


def input_selects(*, first_id: int, last_id: int, fiscal_year: int, as_of: dt.date) -> dict[str, tuple[str, list]]:
    """name → (sql, params) of every input read of the loader, over [first_id, last_id]."""
    vendor = "postgresql"
    e, m = Enterprise._meta.db_table, AnnualMetrics._meta.db_table
    attrs = ", ".join(encoded(f, f"e.{f.name}", vendor) for f in ENTERPRISE_ATTRIBUTES)
    metrics = ", ".join(encoded(f, f"m.{f.name}", vendor) for f in METRICS)
    designations = (
        Designation.objects.filter(enterprise_id__gte=first_id, enterprise_id__lte=last_id)
        .held_on(as_of)
        .values_list("enterprise_id", "tier_id", "cluster_id")
    )
    memberships = (
        ClusterMembership.objects.filter(enterprise_id__gte=first_id, enterprise_id__lte=last_id)
        .order_by("enterprise_id", "cluster_id")
        .values_list("enterprise_id", "cluster_id", "cluster__group")
    )
    cm = ClusterMembership._meta.db_table
    return {
        "enterprises": (
            f"SELECT e.id, e.region_id, {attrs} FROM {e} e WHERE e.id BETWEEN %s AND %s ORDER BY e.id",
            [first_id, last_id],
        ),
        "metrics": (
            f"SELECT m.enterprise_id, m.fiscal_year, {metrics} FROM {m} m "
            f"WHERE m.enterprise_id BETWEEN %s AND %s AND m.fiscal_year BETWEEN %s AND %s",
            [first_id, last_id, fiscal_year - YEARS_BACK, fiscal_year],
        ),
        "designations": _sql(designations),
        "memberships": _sql(memberships),
        "cluster_revenue": (
            f"SELECT m.cluster_id, a.revenue::float8 FROM {cm} m JOIN {m} a "
            f"ON a.enterprise_id = m.enterprise_id AND a.fiscal_year = %s WHERE a.revenue IS NOT NULL",
            [fiscal_year],
        ),
    }


def _sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def copy_out_discard(sql: str, params) -> tuple[int, float]:
    """(bytes, seconds) of ``COPY (sql) TO STDOUT (FORMAT binary)`` into a client that drops them."""
    connection.ensure_connection()
    started = time.perf_counter()
    size = 0
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)", params or None) as copy,
    ):
        for block in copy:
            size += len(block)
    return size, time.perf_counter() - started


def read_inputs(*, fiscal_year: int, as_of: dt.date) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {Enterprise._meta.db_table}")
        first_id, last_id = cursor.fetchone()
    parts = {}
    for name, (sql, params) in input_selects(
        first_id=first_id or 0, last_id=last_id or 0, fiscal_year=fiscal_year, as_of=as_of
    ).items():
        size, seconds = copy_out_discard(sql, params)
        parts[name] = {"bytes": size, "seconds": round(seconds, 3)}
    return {"seconds": sum(p["seconds"] for p in parts.values()), "parts": parts}


def read_results(*, fiscal_year: int) -> dict:
    """Read the stored results' keys and hashes (what CurrentResults reads per chunk), for reference."""
    table = EligibilityResult._meta.db_table
    size, seconds = copy_out_discard(
        f"SELECT r.id, r.enterprise_id, r.tier_id, COALESCE(r.cluster_id, 0), r.input_hash, r.status "
        f"FROM {table} r WHERE r.fiscal_year = %s",
        [fiscal_year],
    )
    return {"bytes": size, "seconds": seconds}


RESULT_COLUMNS = (
    "enterprise_id, tier_id, fiscal_year, cluster_id, status, score, failing_count, shortfall, near_miss, "
    "ruleset_id, failed_nodes, unknown_nodes, input_hash, run_id, evaluated_at"
)


def write_results(*, fiscal_year: int, indexed: bool = False, share: float = 1.0) -> dict:
    """COPY the stored results of ``fiscal_year`` (binary) into a TEMP table of the results' shape.

    ``indexed`` adds the real table's indexes (INCLUDING INDEXES) for an informative second figure.
    ``share`` < 1 copies only the results of the first ``share`` of the enterprise id range and scales
    the time by the rows (the spool and the staging table need free disk for two more copies of what is
    copied: ~30 GB at 10M, more than a host holding the 10M database may have). A COPY into a table
    is linear in its rows but for the indexes' depth, so the scaled figure is a slight underestimate;
    docs/benchmarks.md gives the full and the sampled figure side by side at 1M.
    """
    table = EligibilityResult._meta.db_table
    connection.ensure_connection()
    raw = connection.connection
    where, params = "fiscal_year = %s", [fiscal_year]
    with raw.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {where}", params)
        total = cursor.fetchone()[0]
        if share < 1:
            cursor.execute(f"SELECT min(id), max(id) FROM {Enterprise._meta.db_table}")
            first_id, last_id = cursor.fetchone()
            where += " AND enterprise_id <= %s"
            params = [*params, int((first_id or 0) + share * ((last_id or 0) - (first_id or 0)))]
    with tempfile.TemporaryFile() as spool:
        with raw.cursor() as cursor:
            with cursor.copy(
                f"COPY (SELECT {RESULT_COLUMNS} FROM {table} WHERE {where}) TO STDOUT (FORMAT binary)", params
            ) as copy:
                for block in copy:
                    spool.write(block)
            if share < 1:
                cursor.execute(f"SELECT count(*) FROM {table} WHERE {where}", params)
                rows = cursor.fetchone()[0]
            else:
                rows = total
        size = spool.tell()
        spool.seek(0)
        like = "INCLUDING DEFAULTS INCLUDING IDENTITY" + (" INCLUDING INDEXES" if indexed else "")
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_result_staging")
            cursor.execute(f"CREATE TEMP TABLE bench_result_staging (LIKE {table} {like}) ON COMMIT DROP")
            started = time.perf_counter()
            with cursor.copy(f"COPY bench_result_staging ({RESULT_COLUMNS}) FROM STDIN (FORMAT binary)") as copy:
                while block := spool.read(BLOCK):
                    copy.write(block)
            seconds = time.perf_counter() - started
    scaled = seconds * total / rows if rows and total != rows else seconds
    return {"rows": total, "rows_copied": rows, "bytes": size, "seconds_measured": seconds, "seconds": scaled}
