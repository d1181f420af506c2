"""Each cluster member's revenue in each fiscal year, in rank order: derived data, kept by the database.

A member's revenue rank in its cluster (``revenue_rank_in_cluster``) compares it with every other
member. Counting that from the sources visits every member of the cluster and looks up each one's
revenue (~50,000–100,000 lookups per cluster at a million enterprises, 0.6–2 s per save). Here one row
per (enterprise, fiscal year, cluster) carries the revenue, indexed by (fiscal year, cluster,
revenue), so the count is one range of that index (tracker/pipeline/counted_ranks.py).

A row exists exactly when the enterprise is a member of the cluster, is not archived, and has a
revenue that year; it holds that revenue as a double, as the worker's snapshot compares it. Nothing
in Python writes here: triggers on the metrics, the memberships and the enterprise's ``archived_at``
refresh the rows of every enterprise a statement touched, so a queryset ``update()``, a COPY or raw
SQL keep it right as the services do. On PostgreSQL each refresh first locks the enterprise rows it
touches (FOR NO KEY UPDATE): a concurrent change to the same enterprise waits for it to commit and
then refreshes from what it committed (READ COMMITTED takes a new snapshot per statement), so two
transactions cannot leave a stale revenue behind. ``MEMBER_REVENUE_ROWS`` rebuilds every row, for a
database restored without its triggers.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberRevenue(models.Model):
    pk = models.CompositePrimaryKey("enterprise_id", "fiscal_year", "cluster_id")
    enterprise_id = models.BigIntegerField(_("企业"))
    fiscal_year = models.SmallIntegerField(_("年度"))
    # Clusters are a few dozen reference rows: 4 bytes instead of 8 over millions of rows and their index.
    cluster_id = models.IntegerField(_("产业集群"))
    revenue = models.FloatField(_("营业收入（元）"))

    class Meta:
        verbose_name = _("集群成员营业收入")
        verbose_name_plural = _("集群成员营业收入")
        indexes = [models.Index(fields=["fiscal_year", "cluster_id", "revenue"], name="member_revenue_rank")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} @ {self.cluster_id} · {self.fiscal_year}"


TABLE = "tracker_memberrevenue"
COLUMNS = "enterprise_id, fiscal_year, cluster_id, revenue"

# Every row, from the sources (the migration's backfill; a rebuild). Same on both databases.
MEMBER_REVENUE_ROWS = f"""
INSERT INTO {TABLE} ({COLUMNS})
SELECT m.enterprise_id, a.fiscal_year, m.cluster_id, CAST(a.revenue AS DOUBLE PRECISION)
FROM tracker_clustermembership m
JOIN tracker_enterprise e ON e.id = m.enterprise_id AND e.archived_at IS NULL
JOIN tracker_annualmetrics a ON a.enterprise_id = m.enterprise_id AND a.revenue IS NOT NULL
ORDER BY m.enterprise_id, a.fiscal_year, m.cluster_id
"""

# PostgreSQL. Metrics refresh once per statement (an INSERT, a COPY, an import's UPDATE … FROM, a
# cascade's DELETE), set-based, from its transition tables: per row, 50,000 changed revenues took 40 s
# instead of 5. Memberships refresh per statement on INSERT and DELETE; an update of a membership or
# an enterprise fires per row, and only when a column the rows derive from changed (a WHEN clause,
# checked without calling the function), so updates of segments, names and the like cost nothing.
# Every query is planned for the rows at hand — the transition-table queries run by EXECUTE, the
# refresh with custom plans: a plan a connection cached for one row (a nested loop over two transition
# tables) took minutes over 50,000. An UPDATE's changed rows are found by EXCEPT, without a join.
POSTGRESQL_FUNCTIONS = [
    f"""
CREATE OR REPLACE FUNCTION tidu_member_revenue_refresh(ids bigint[], years smallint[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  live bigint[];  -- those not archived, as the lock reads them (the latest committed version)
BEGIN
  -- years NULL: every year of the enterprises ids; else the distinct pairs (ids[i], years[i]).
  SELECT array_agg(x.id) INTO live FROM (
    SELECT id, archived_at FROM tracker_enterprise WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE
  ) x WHERE x.archived_at IS NULL;
  IF years IS NULL THEN
    DELETE FROM {TABLE} WHERE enterprise_id = ANY(ids);
    INSERT INTO {TABLE} ({COLUMNS})
    SELECT m.enterprise_id, a.fiscal_year, m.cluster_id, CAST(a.revenue AS DOUBLE PRECISION)
    FROM tracker_clustermembership m
    JOIN tracker_annualmetrics a ON a.enterprise_id = m.enterprise_id AND a.revenue IS NOT NULL
    WHERE m.enterprise_id = ANY(live);
  ELSE
    DELETE FROM {TABLE} r USING unnest(ids, years) AS k(enterprise_id, fiscal_year)
    WHERE r.enterprise_id = k.enterprise_id AND r.fiscal_year = k.fiscal_year;
    INSERT INTO {TABLE} ({COLUMNS})
    SELECT m.enterprise_id, a.fiscal_year, m.cluster_id, CAST(a.revenue AS DOUBLE PRECISION)
    FROM unnest(ids, years) AS k(enterprise_id, fiscal_year)
    JOIN tracker_annualmetrics a
      ON a.enterprise_id = k.enterprise_id AND a.fiscal_year = k.fiscal_year AND a.revenue IS NOT NULL
    JOIN tracker_clustermembership m ON m.enterprise_id = k.enterprise_id
    WHERE k.enterprise_id = ANY(live);
  END IF;
END $$""",
    """
CREATE OR REPLACE FUNCTION tidu_member_revenue_on_metrics() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
  years smallint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE 'SELECT array_agg(k.enterprise_id), array_agg(k.fiscal_year) FROM (
      SELECT DISTINCT enterprise_id, fiscal_year FROM new_rows WHERE revenue IS NOT NULL) k' INTO ids, years;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE 'SELECT array_agg(k.enterprise_id), array_agg(k.fiscal_year) FROM (
      SELECT DISTINCT enterprise_id, fiscal_year FROM old_rows WHERE revenue IS NOT NULL) k' INTO ids, years;
  ELSE  -- the rows whose enterprise, year or revenue changed: before and after
    EXECUTE 'SELECT array_agg(k.enterprise_id), array_agg(k.fiscal_year) FROM (
      SELECT DISTINCT c.enterprise_id, c.fiscal_year FROM (
        (SELECT id, enterprise_id, fiscal_year, revenue FROM old_rows
         EXCEPT ALL SELECT id, enterprise_id, fiscal_year, revenue FROM new_rows)
        UNION ALL
        (SELECT id, enterprise_id, fiscal_year, revenue FROM new_rows
         EXCEPT ALL SELECT id, enterprise_id, fiscal_year, revenue FROM old_rows)
      ) c) k' INTO ids, years;
  END IF;
  IF ids IS NOT NULL THEN
    PERFORM tidu_member_revenue_refresh(ids, years);
  END IF;
  RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION tidu_member_revenue_on_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE 'SELECT array_agg(DISTINCT enterprise_id) FROM new_rows' INTO ids;
  ELSE
    EXECUTE 'SELECT array_agg(DISTINCT enterprise_id) FROM old_rows' INTO ids;
  END IF;
  IF ids IS NOT NULL THEN
    PERFORM tidu_member_revenue_refresh(ids, NULL);
  END IF;
  RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION tidu_member_revenue_on_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'tracker_clustermembership' THEN
    PERFORM tidu_member_revenue_refresh(ARRAY[OLD.enterprise_id, NEW.enterprise_id], NULL);
  ELSE  -- an enterprise archived or restored
    PERFORM tidu_member_revenue_refresh(ARRAY[NEW.id], NULL);
  END IF;
  RETURN NULL;
END $$""",
]

_INSERTED, _DELETED = ("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows")
_UPDATED = ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")
_STATEMENT_TRIGGERS = {  # name: (table, event, transition tables, function)
    f"member_revenue_{short}_{event.lower()}": (f"tracker_{table}", event, transition, f"on_{short}")
    for short, table, events in (
        ("metrics", "annualmetrics", (_INSERTED, _UPDATED, _DELETED)),
        ("memberships", "clustermembership", (_INSERTED, _DELETED)),
    )
    for event, transition in events
}
_ROW_TRIGGERS = {  # name: (table, the columns the rows derive from)
    "member_revenue_memberships_update": ("tracker_clustermembership", ("enterprise_id", "cluster_id")),
    "member_revenue_archive": ("tracker_enterprise", ("archived_at",)),
}
POSTGRESQL_TRIGGERS = [
    *(
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION tidu_member_revenue_{function}()"
        for name, (table, event, transition, function) in _STATEMENT_TRIGGERS.items()
    ),
    *(
        f"CREATE TRIGGER {name} AFTER UPDATE OF {', '.join(columns)} ON {table} FOR EACH ROW "
        f"WHEN ({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in columns)}) "
        f"EXECUTE FUNCTION tidu_member_revenue_on_change()"
        for name, (table, columns) in _ROW_TRIGGERS.items()
    ),
]
# A bulk load (the demo generator's, in one transaction) fills the rows of its enterprises once, after
# the load, instead of per statement: the tables grow by millions of rows the planner has no statistics
# for until the commit, and each COPY's refresh came to cost more the larger they were (quadratic: at
# 3M enterprises a batch's metrics took 65 s per 100,000 enterprises against 28 s at 1M).
def bulk_insert_triggers(*, enabled: bool) -> list[str]:
    """PostgreSQL: the statements that turn the INSERT triggers off (or back on) for a bulk load."""
    verb = "ENABLE" if enabled else "DISABLE"
    return [
        f"ALTER TABLE {table} {verb} TRIGGER {name}"
        for name, (table, event, *_rest) in _STATEMENT_TRIGGERS.items()
        if event == "INSERT"
    ]


# The rows of the enterprises in an id range (params: first, last): after a bulk load with the INSERT
# triggers off. A row already there (an enterprise another transaction wrote meanwhile, with its
# triggers) is left as it is.
ENTERPRISE_RANGE_ROWS = f"""
INSERT INTO {TABLE} ({COLUMNS})
SELECT m.enterprise_id, a.fiscal_year, m.cluster_id, CAST(a.revenue AS DOUBLE PRECISION)
FROM tracker_clustermembership m
JOIN tracker_enterprise e ON e.id = m.enterprise_id AND e.archived_at IS NULL
JOIN tracker_annualmetrics a ON a.enterprise_id = m.enterprise_id AND a.revenue IS NOT NULL
WHERE m.enterprise_id BETWEEN %s AND %s
ORDER BY m.enterprise_id, a.fiscal_year, m.cluster_id
ON CONFLICT DO NOTHING
"""

POSTGRESQL_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (table, *_) in _STATEMENT_TRIGGERS.items()),
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (table, _) in _ROW_TRIGGERS.items()),
    "DROP FUNCTION IF EXISTS tidu_member_revenue_on_change()",
    "DROP FUNCTION IF EXISTS tidu_member_revenue_on_memberships()",
    "DROP FUNCTION IF EXISTS tidu_member_revenue_on_metrics()",
    "DROP FUNCTION IF EXISTS tidu_member_revenue_refresh(bigint[], smallint[])",
]

# SQLite (the embedded default): row triggers; one writer at a time, so no locking is needed.
_SQLITE_METRICS_ROWS = f"""
  INSERT INTO {TABLE} ({COLUMNS})
  SELECT NEW.enterprise_id, NEW.fiscal_year, m.cluster_id, CAST(NEW.revenue AS DOUBLE PRECISION)
  FROM tracker_clustermembership m JOIN tracker_enterprise e ON e.id = m.enterprise_id
  WHERE m.enterprise_id = NEW.enterprise_id AND e.archived_at IS NULL AND NEW.revenue IS NOT NULL;"""
_SQLITE_MEMBERSHIP_ROWS = f"""
  INSERT INTO {TABLE} ({COLUMNS})
  SELECT NEW.enterprise_id, a.fiscal_year, NEW.cluster_id, CAST(a.revenue AS DOUBLE PRECISION)
  FROM tracker_annualmetrics a JOIN tracker_enterprise e ON e.id = a.enterprise_id
  WHERE a.enterprise_id = NEW.enterprise_id AND e.archived_at IS NULL AND a.revenue IS NOT NULL;"""
_SQLITE_ENTERPRISE_ROWS = f"""
  INSERT INTO {TABLE} ({COLUMNS})
  SELECT m.enterprise_id, a.fiscal_year, m.cluster_id, CAST(a.revenue AS DOUBLE PRECISION)
  FROM tracker_clustermembership m JOIN tracker_annualmetrics a ON a.enterprise_id = m.enterprise_id
  WHERE m.enterprise_id = NEW.id AND NEW.archived_at IS NULL AND a.revenue IS NOT NULL;"""
_SQLITE_FORGET_METRICS = (
    f"DELETE FROM {TABLE} WHERE enterprise_id = OLD.enterprise_id AND fiscal_year = OLD.fiscal_year;"
)
_SQLITE_FORGET_MEMBERSHIP = (
    f"DELETE FROM {TABLE} WHERE enterprise_id = OLD.enterprise_id AND cluster_id = OLD.cluster_id;"
)
_METRICS, _MEMBERSHIPS = "tracker_annualmetrics", "tracker_clustermembership"
SQLITE_TRIGGERS = {
    "member_revenue_metrics_insert": f"AFTER INSERT ON {_METRICS} BEGIN {_SQLITE_METRICS_ROWS} END",
    "member_revenue_metrics_update": f"AFTER UPDATE OF enterprise_id, fiscal_year, revenue ON {_METRICS} "
    f"BEGIN {_SQLITE_FORGET_METRICS} {_SQLITE_METRICS_ROWS} END",
    "member_revenue_metrics_delete": f"AFTER DELETE ON {_METRICS} BEGIN {_SQLITE_FORGET_METRICS} END",
    "member_revenue_memberships_insert": f"AFTER INSERT ON {_MEMBERSHIPS} BEGIN {_SQLITE_MEMBERSHIP_ROWS} END",
    "member_revenue_memberships_update": f"AFTER UPDATE OF enterprise_id, cluster_id ON {_MEMBERSHIPS} "
    f"BEGIN {_SQLITE_FORGET_MEMBERSHIP} {_SQLITE_MEMBERSHIP_ROWS} END",
    "member_revenue_memberships_delete": f"AFTER DELETE ON {_MEMBERSHIPS} BEGIN {_SQLITE_FORGET_MEMBERSHIP} END",
    "member_revenue_archive": "AFTER UPDATE OF archived_at ON tracker_enterprise "
    f"BEGIN DELETE FROM {TABLE} WHERE enterprise_id = OLD.id; {_SQLITE_ENTERPRISE_ROWS} END",
}


def install_triggers(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in [*POSTGRESQL_FUNCTIONS, *POSTGRESQL_TRIGGERS]:
            schema_editor.execute(statement)
    else:
        for name, body in SQLITE_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {body}")


def drop_triggers(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_DROP:
            schema_editor.execute(statement)
    else:
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
