# Every admin page at a million enterprises in 500 ms (issue 12; figures in docs/benchmarks.md, "Admin
# pages at 1M"):
# - each enterprise's region in id order, read from an index alone: lists in enterprise order filtered
#   by region (a city's results, metrics, changes) check the enterprises they walk past there;
# - the archived enterprises (a handful): their list, and "not archived" when ranking a cluster's revenues;
# - the listed enterprises (a few thousand), a filter of the enterprise list;
# - near-miss results by their key (enterprise, year, tier): the tier changes' near-miss filter;
# - a 文号 typed in the designations' search box;
# - a report's head (each long list's first rows), what its page and the admin home read instead of
#   the whole frame (megabytes for the province). Reports built before it keep working: their page
#   cuts the whole frame, as before, until they are rebuilt.
# Indexes are built concurrently on PostgreSQL (the enterprise table takes writes while they build).

from django.db import migrations, models

from tracker.online_migrations import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tracker", "0024_ruleset_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="tierreport",
            name="head",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="报告页面与首页图表读取的部分：各长列表只保留前若干行，完整内容见“报告内容”。",
                verbose_name="页面摘录",
            ),
        ),
        AddIndexOnline(
            model_name="designation",
            index=models.Index(fields=["document_no"], name="designation_document_no"),
        ),
        AddIndexOnline(
            model_name="enterprise",
            index=models.Index(fields=["id"], include=("region",), name="enterprise_id_region"),
        ),
        AddIndexOnline(
            model_name="enterprise",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", False)), fields=["id"], name="enterprise_archived"
            ),
        ),
        AddIndexOnline(
            model_name="enterprise",
            index=models.Index(
                condition=models.Q(("listed", True)), fields=["id"], include=("region",), name="enterprise_listed"
            ),
        ),
        AddIndexOnline(
            model_name="eligibilityresult",
            index=models.Index(
                condition=models.Q(("near_miss", True)),
                fields=["enterprise", "fiscal_year", "tier"],
                include=("cluster",),
                name="result_near_miss_key",
            ),
        ),
    ]
