"""Each cluster member's revenue by year, kept by triggers, so a save's revenue ranks are one index range
(tracker/models/member_revenue.py). The index that served the previous count goes.

The table, its triggers, its rows and its rank index commit together, triggers before the rows: from
then on writes to metrics, memberships and enterprises wait for that transaction (about a minute at a
million enterprises, see docs/operations.md), and none is missed. Reads go on. Then, on PostgreSQL, a
VACUUM ANALYZE: a count reads only the index once the table's pages are marked all-visible, and
until then it visits up to every page of the cluster's rows (0.9 s per save at a million).
"""

from django.db import migrations, models

from tracker.models.member_revenue import MEMBER_REVENUE_ROWS, drop_triggers, install_triggers

RANK_INDEX = models.Index(fields=["fiscal_year", "cluster_id", "revenue"], name="member_revenue_rank")


def create_filled_table(apps, schema_editor):
    """The table, its triggers, its rows and its rank index, all or nothing (one transaction)."""
    model = apps.get_model("tracker", "MemberRevenue")
    if model._meta.db_table in schema_editor.connection.introspection.table_names():
        return  # committed by an attempt interrupted before the migration was recorded
    schema_editor.create_model(model)
    install_triggers(schema_editor)
    schema_editor.execute(MEMBER_REVENUE_ROWS)
    # Built once over the filled table rather than entry by entry during the backfill.
    schema_editor.add_index(model, RANK_INDEX)


def drop_table(apps, schema_editor):
    drop_triggers(schema_editor)
    schema_editor.delete_model(apps.get_model("tracker", "MemberRevenue"))


def vacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("VACUUM ANALYZE tracker_memberrevenue")


class Migration(migrations.Migration):
    atomic = False  # for the VACUUM; the table and its triggers and rows come in one transaction

    dependencies = [
        ("tracker", "0025_admin_page_speed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
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
            ],
        ),
        migrations.RunPython(create_filled_table, drop_table, atomic=True),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="memberrevenue", index=RANK_INDEX)],
        ),
        migrations.RunPython(vacuum, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="annualmetrics", name="metrics_year_revenue"),
    ]
