# Each cluster member's revenue in a year, read from an index alone: an edit's revenue ranks are
# counted over the members of its clusters (tracker/pipeline/counted_ranks.py). Built concurrently
# on PostgreSQL: at 1M (4.8M metrics rows) a plain CREATE INDEX blocks metric writes for 30–65 s.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexOnline(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain index on the embedded SQLite default."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tracker", "0019_read_speed_indexes"),
    ]

    operations = [
        AddIndexOnline(
            model_name="annualmetrics",
            index=models.Index(fields=["fiscal_year", "enterprise"], include=("revenue",), name="metrics_year_revenue"),
        ),
    ]
