# How many distinct enterprises the results and the metrics hold, told to the planner instead of
# estimated. ANALYZE estimates a column's distinct values from a sample of 30,000 rows, and rows of one
# enterprise sit together on a page (a run writes them so), so the sample sees few enterprises many
# times: at 10M enterprises it put 194,184 distinct ones among 83M results (427 results each, against
# 8.3), so a run's chunk of 5,000 listed enterprises (an incremental, a save) was planned as 2.1M rows
# and read by a sequential scan of the whole 14 GB table — 5–14 s a chunk instead of milliseconds
# (docs/benchmarks.md, "10M with the row hash, the deferred indexes and the rewrites in place").
#
# A negative n_distinct is a fraction of the rows, so it holds at any size: about 10 results per
# enterprise (8.3 per year of the demo data), 5 metrics rows (one a year). ANALYZE applies it; both run
# here. Online: each takes the lock a VACUUM takes, for a moment. Nothing on the embedded SQLite default.

from django.db import migrations

PER_ENTERPRISE = {"tracker_eligibilityresult": -0.1, "tracker_annualmetrics": -0.2}


def tell(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, fraction in PER_ENTERPRISE.items():
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN enterprise_id SET (n_distinct = {fraction})")
        schema_editor.execute(f"ANALYZE {table}")


def forget(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in PER_ENTERPRISE:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN enterprise_id RESET (n_distinct)")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0033_result_fillfactor"),
    ]

    operations = [migrations.RunPython(tell, forget, elidable=False)]
