"""What PostgreSQL would do with a query when only an index can serve it in order."""

from django.db import connection


def plan_with_scans_and_sorts_priced_out(sql: str) -> str:
    """The plan of ``sql`` with sequential scans, bitmap scans and sorts priced out: an index that holds
    the query's order shows up in it, and a "Sort" in it means no index does (on a test database the
    planner would otherwise sort a few rows rather than walk an index)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())
