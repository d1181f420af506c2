"""The planner is told how many results and metrics rows an enterprise has (migration 0034) rather
than left to estimate it from a sample: at 10M enterprises the sample put 194,184 distinct enterprises
among 83M results (427 results each, 8.3 in truth), and every listed chunk (an incremental, a save)
read the whole results table instead of its enterprises' rows."""

import pytest
from django.db import connection

from tests.tasks.conftest import AS_OF
from tracker.models import EvaluationRun
from tracker.services.runs import run_start, run_sync

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics of PostgreSQL"),
]


def test_analyze_keeps_the_share_of_enterprises_among_results_and_metrics(demo):
    demo(120)
    run = run_sync(run=run_start(kind="manual", as_of=AS_OF, dispatch=False))
    assert run.status == EvaluationRun.Status.SUCCEEDED
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracker_eligibilityresult")
        cursor.execute("ANALYZE tracker_annualmetrics")
        cursor.execute(
            "SELECT tablename, n_distinct FROM pg_stats WHERE attname = 'enterprise_id' "
            "AND tablename IN ('tracker_annualmetrics', 'tracker_eligibilityresult')"
        )
        n_distinct = dict(cursor.fetchall())
    # What ANALYZE would have estimated from this small table is the exact count (120, or about
    # -0.12 and -0.2 as fractions); what it keeps is the fraction given, at any size.
    assert n_distinct == {"tracker_eligibilityresult": pytest.approx(-0.1), "tracker_annualmetrics": pytest.approx(-0.2)}
