"""Each cluster member's revenue by year, kept by triggers, so a save's revenue ranks are one index range
(tracker/models/member_revenue.py). The index that served the previous count goes.

The triggers are created before the backfill: from then on writes to metrics, memberships and
enterprises wait for this migration to commit (about a minute at a million enterprises, see
docs/benchmarks.md), and none is missed. Reads go on.
"""

from django.db import migrations, models

from tracker.models.member_revenue import MEMBER_REVENUE_ROWS, drop_triggers, install_triggers


def create_triggers(apps, schema_editor):
    install_triggers(schema_editor)


def remove_triggers(apps, schema_editor):
    drop_triggers(schema_editor)


def backfill(apps, schema_editor):
    schema_editor.execute(MEMBER_REVENUE_ROWS)


class Migration(migrations.Migration):
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
        migrations.RunPython(create_triggers, remove_triggers),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        # Built once over the filled table rather than entry by entry during the backfill.
        migrations.AddIndex(
            model_name="memberrevenue",
            index=models.Index(fields=["fiscal_year", "cluster_id", "revenue"], name="member_revenue_rank"),
        ),
        migrations.RemoveIndex(model_name="annualmetrics", name="metrics_year_revenue"),
    ]
