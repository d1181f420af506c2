"""After a run that rewrote a large share of the results, the tables it wrote are analysed."""

import pytest
from django.db import connection

from tracker.pipeline.table_stats import analyze_after_write

pytestmark = pytest.mark.django_db


def set_reltuples(value: float) -> None:
    """What the planner believes the table holds (-1: never analysed); rolled back after the test."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_class SET reltuples = %s WHERE relname = 'tracker_eligibilityresult'", [value])


def reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("ANALYZE after a run is PostgreSQL's: run the suite on PostgreSQL (make test)")


def test_a_never_analysed_results_table_is_analysed_after_any_write(postgresql):
    set_reltuples(-1)
    assert analyze_after_write(rows_written=1) is True
    assert reltuples("tracker_eligibilityresult") == 0  # the planner now knows it is empty


def test_a_small_write_into_an_analysed_table_is_left_to_autovacuum(postgresql, settings):
    settings.TIDU = {**settings.TIDU, "ANALYZE_AFTER_FRACTION": 0.1}
    set_reltuples(1000)  # as its last ANALYZE found
    assert analyze_after_write(rows_written=99) is False
    assert analyze_after_write(rows_written=100) is True


def test_nothing_written_means_nothing_to_analyse(postgresql):
    assert analyze_after_write(rows_written=0) is False
