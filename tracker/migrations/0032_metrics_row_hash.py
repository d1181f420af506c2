# A nightly run with nothing changed compares each enterprise's stored input digest with a fingerprint
# of its metrics rows. PostgreSQL used to hash every row as it read it (`hash_record_extended(m, 0)`),
# which reads the whole metrics table (2.3 GB at 1M enterprises, 22.6 GB at 10M) every night. The hash
# is now kept with the row, computed by PostgreSQL on every write (a stored generated column, so no
# writer — service, import, bulk load, psql — can leave it stale), and the one-row-per-year unique
# index carries it (INCLUDE), so the nightly's fingerprint is an index-only scan.
#
# The hash covers the fiscal year and the metrics the engine reads (tracker/pipeline/columns.py
# METRICS); tests/test_metrics_row_hash.py fails when that list and this expression part.
# The column is invisible to the ORM (not a model field): the embedded SQLite default has no such
# hash and never checks digests.
#
# Upgrade cost: adding a stored generated column rewrites the table under an exclusive lock, and the
# unique index is built again (measured in docs/operations.md, "Upgrades"): run it in a window. The
# first nightly after it evaluates every enterprise again (the digests' format changed) and rewrites
# no result whose inputs are the same.

from django.db import migrations, transaction

TABLE = "tracker_annualmetrics"
CONSTRAINT = "metrics_one_row_per_year"
HASHED = (
    "fiscal_year, revenue, main_business_revenue, rd_expense, net_profit, total_assets, total_liabilities, "
    "equity_financing, employees, rd_staff, ip_class1, ip_class1_self_developed, ip_class1_high_value, "
    "ip_class2, niche_market_share, niche_market_rank_cn, global_market_rank, valuation_usd, "
    "cumulative_financing_usd, digital_level, rd_institution_level, platform_score, distinctiveness_points, "
    "local_suppliers, local_procurement_ratio, high_tech_certified, qms_certified, quality_award, own_brand, "
    "standards_drafting, sei_field, key_chain_link, six_foundations, compliance_ok, market_position_leading, "
    "st_award_level, st_award_rank, chuangke_rank"
)


def add(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'row_hash'", [TABLE]
        )
        done = cursor.fetchone() is not None  # an earlier attempt committed this part, then stopped
    if not done:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute(
                f"ALTER TABLE {TABLE} ADD COLUMN row_hash bigint "
                f"GENERATED ALWAYS AS (hash_record_extended(ROW({HASHED}), 0)) STORED"
            )
            schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {CONSTRAINT}")
            schema_editor.execute(
                f"ALTER TABLE {TABLE} ADD CONSTRAINT {CONSTRAINT} UNIQUE (enterprise_id, fiscal_year) INCLUDE (row_hash)"
            )
    # The rewritten table has no page marked all-visible, so until vacuum gets there the nightly's
    # index-only scan would read every row anyway. Outside the transaction (VACUUM cannot run in one).
    schema_editor.execute(f"VACUUM (ANALYZE) {TABLE}")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {CONSTRAINT}")
    schema_editor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {CONSTRAINT} UNIQUE (enterprise_id, fiscal_year)")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN row_hash")


class Migration(migrations.Migration):
    atomic = False  # for the VACUUM; the rewrite and the index are one transaction of their own

    dependencies = [
        ("tracker", "0031_result_tier_year_status_statistics"),
    ]

    operations = [migrations.RunPython(add, remove, elidable=False)]
