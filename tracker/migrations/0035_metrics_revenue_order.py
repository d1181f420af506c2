# A year's metrics by revenue, largest first with the blanks last (tracker.models.metrics.revenue_order).
# The index it replaces held the revenues ascending with the blanks last, so "largest first" was its
# backward scan and opened on the blanks, every one of which the id tie-break then sorted before the
# first page (a 10M year has about 230,000: the admin's list took 1.1 s, a city's 1.8 s). The new
# index is built before the old one goes, both concurrently (docs/operations.md, Upgrades): the
# revenue snapshot of the workers reads either from the index alone. SQLite, the quickstart's database,
# takes no NULLS LAST in an index: its DESC puts the blanks last already.

from django.db import migrations, models

from tracker.online_migrations import AddIndexOnline, RemoveIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tracker", "0034_enterprise_n_distinct"),
    ]

    operations = [
        AddIndexOnline(
            model_name="annualmetrics",
            index=models.Index(
                models.F("fiscal_year"),
                models.OrderBy(models.F("revenue"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                include=("enterprise",),
                name="metrics_revenue_order",
            ),
            sqlite_index=models.Index(fields=["fiscal_year", "-revenue", "-id"], name="metrics_revenue_order"),
        ),
        RemoveIndexOnline(model_name="annualmetrics", name="metrics_revenue_in_year"),
    ]
