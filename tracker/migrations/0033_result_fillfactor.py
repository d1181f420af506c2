# A recompute rewrites a changed result in its own row (tracker/pipeline/results_store.py). When the
# row's indexed columns (status, gap, near-miss flag) stay as they were and its page has room,
# PostgreSQL writes the new version on the same page and no index entry (a HOT update); on a full page
# it moves the row and enters it in all five indexes again, which costs more than the delete and insert
# it replaces. A run writes each enterprise's results next to each other, so a fifth of each page kept
# free holds the new versions of the results on it that one run rewrites. Measured at 1M, the 1 %
# incremental right after a cold run (docs/benchmarks.md): 73 % of the rewrites HOT at 80 (41 % at 90,
# none at the default 100); the table is a quarter larger.
#
# Only new pages get the setting: the results written before it keep full pages until a run rewrites
# them (`recompute --rebuild` rewrites them all). Changing a storage parameter blocks no reader or
# writer. Nothing on the embedded SQLite default.

from django.db import migrations

TABLE = "tracker_eligibilityresult"


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0032_metrics_row_hash"),
    ]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
