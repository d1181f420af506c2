# PostgreSQL's planner multiplies the selectivities of tier, fiscal year and status as if they were
# independent: it estimated 51,100 eligible little giants in a year where there are 8,893 (and 75,088
# where there were none), and chose plans for a city's list of them that walk tens of thousands of
# enterprises (`results/?tier=little_giant&status=eligible&region=320100`: page 19.5 ms → 5.1 ms with
# these statistics at 1M, docs/benchmarks.md). Extended statistics (most common combinations) give it
# the real counts; ANALYZE, which the recompute runs after a large run and autovacuum runs otherwise,
# keeps them. Nothing on the embedded SQLite default.

from django.db import migrations

CREATE = (
    "CREATE STATISTICS IF NOT EXISTS result_tier_year_status (mcv) "
    "ON tier_id, fiscal_year, status FROM tracker_eligibilityresult"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        schema_editor.execute("ANALYZE tracker_eligibilityresult")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS result_tier_year_status")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0030_designation_tier_status_recent"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
