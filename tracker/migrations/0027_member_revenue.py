"""Each cluster member's revenue by year, kept by triggers, so a save's revenue ranks are one index range
(tracker/models/member_revenue.py). The index that served the previous count goes.

The triggers, the backfill and the rank index commit together, triggers first: from then on writes
to metrics, memberships and enterprises wait for that transaction (75 s at a million enterprises on
a loaded machine, see docs/benchmarks.md), and none is missed. Reads go on. Then, on PostgreSQL, a
VACUUM ANALYZE: a count reads only the index once the table's pages are marked all-visible, and
until then it visits up to every page of the cluster's rows (0.9 s per save at a million).
"""

from django.db import migrations, models

from tracker.models.member_revenue import MEMBER_REVENUE_ROWS, drop_triggers, install_triggers

RANK_INDEX = models.Index(fields=["fiscal_year", "cluster_id", "revenue"], name="member_revenue_rank")


def create_triggers_and_backfill(apps, schema_editor):
    install_triggers(schema_editor)
    schema_editor.execute(MEMBER_REVENUE_ROWS)
    # Built once over the filled table rather than entry by entry during the backfill.
    schema_editor.add_index(apps.get_model("tracker", "MemberRevenue"), RANK_INDEX)


def drop_rank_index(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("tracker", "MemberRevenue"), RANK_INDEX)
    drop_triggers(schema_editor)


def vacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("VACUUM ANALYZE tracker_memberrevenue")


class Migration(migrations.Migration):
    atomic = False  # for the VACUUM; the triggers and the backfill run in one transaction

    dependencies = [
        ("tracker", "0020_metrics_revenue_by_year"),
    ]

    operations = [
        migrations.CreateModel(
            name="MemberRevenue",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "enterprise_id", "fiscal_year", "cluster_id",
                        blank=True, editable=False, primary_key=True, serialize=False,
                    ),
                ),
                ("enterprise_id", models.BigIntegerField(verbose_name="企业")),
                ("fiscal_year", models.SmallIntegerField(verbose_name="年度")),
                ("cluster_id", models.IntegerField(verbose_name="产业集群")),
                ("revenue", models.FloatField(verbose_name="营业收入（元）")),
            ],
            options={
                "verbose_name": "集群成员营业收入",
                "verbose_name_plural": "集群成员营业收入",
            },
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(create_triggers_and_backfill, drop_rank_index, atomic=True),
            ],
            state_operations=[migrations.AddIndex(model_name="memberrevenue", index=RANK_INDEX)],
        ),
        migrations.RunPython(vacuum, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="annualmetrics", name="metrics_year_revenue"),
    ]
