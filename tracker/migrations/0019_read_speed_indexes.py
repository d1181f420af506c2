"""Indexes for reading at a million enterprises (issues 10 and 12; figures in docs/benchmarks.md).

- metrics by (fiscal_year, id): the admin's 年度指标 list, newest year first; by (fiscal_year, revenue):
  a chain leader's rank in its cluster on its result's page;
- the last completed full run: the "current" fiscal year every list of results asks for;
- eligible (or lacking data) results in the results list's order (enterprise, id);
- gaps in their list's order (shortfall, failing count, id), all of them and the near misses;
- on PostgreSQL, the enterprise name's trigram and two-character indexes for searches by a fragment
  of the name (tracker/models/name_search.py). SQLite, the demo's database, goes without them.
"""

from django.db import migrations, models

from tracker.models.name_search import CREATE_BIGRAMS_FUNCTION, DROP_BIGRAMS_FUNCTION, NAME_INDEXES


def create_name_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(CREATE_BIGRAMS_FUNCTION)
    for name, how in NAME_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON tracker_enterprise {how}")


def drop_name_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in NAME_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(DROP_BIGRAMS_FUNCTION)
    # The pg_trgm extension stays: other databases' objects in this cluster may use it.


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0017_api_token"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="annualmetrics",
            index=models.Index(fields=["fiscal_year", "id"], name="metrics_year_id"),
        ),
        migrations.AddIndex(
            model_name="annualmetrics",
            index=models.Index(fields=["fiscal_year", "revenue", "enterprise"], name="metrics_revenue_in_year"),
        ),
        migrations.AddIndex(
            model_name="evaluationrun",
            index=models.Index(
                condition=models.Q(("is_full", True), ("status", "succeeded")),
                fields=["-finished_at", "-id"],
                name="run_full_finished",
            ),
        ),
        migrations.RemoveIndex(model_name="eligibilityresult", name="result_tier_year_decided"),
        migrations.AddIndex(
            model_name="eligibilityresult",
            index=models.Index(
                condition=models.Q(("status", "not_eligible"), _negated=True),
                fields=["tier", "fiscal_year", "status", "enterprise", "id"],
                name="result_decided_order",
            ),
        ),
        migrations.RemoveIndex(model_name="eligibilityresult", name="result_near_miss"),
        migrations.AddIndex(
            model_name="eligibilityresult",
            index=models.Index(
                condition=models.Q(("status", "not_eligible")),
                fields=["tier", "fiscal_year", "shortfall", "failing_count", "id"],
                name="result_gap_order",
            ),
        ),
        migrations.AddIndex(
            model_name="eligibilityresult",
            index=models.Index(
                condition=models.Q(("near_miss", True)),
                fields=["tier", "fiscal_year", "shortfall", "failing_count", "id"],
                name="result_near_miss_order",
            ),
        ),
        migrations.RunPython(create_name_indexes, drop_name_indexes),
    ]
