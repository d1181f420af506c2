# Each cluster member's revenue in a year, read from an index alone: an edit's revenue ranks are
# counted over the members of its clusters (tracker/pipeline/counted_ranks.py). Built concurrently
# on PostgreSQL: at 1M (4.8M metrics rows) a plain CREATE INDEX blocks metric writes for 30–65 s.

from django.db import migrations, models

from tracker.online_migrations import AddIndexOnline


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
