"""The bench's write floor on a share of the results: it copies only that share's rows and scales the
time by the rows (what `bench --write-floor-share` prints at 10M, where a full copy does not fit)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from tracker.bench import floor
from tracker.models import EligibilityResult, EvaluationRun
from tracker.services.runs import run_start, run_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiscal_year():
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=120, seed=5, stdout=io.StringIO())
    run = run_sync(run=run_start(kind=EvaluationRun.Kind.MANUAL, as_of=dt.date(2026, 6, 30), dispatch=False))
    return run.fiscal_year


def test_a_share_copies_fewer_rows_and_scales_the_time_by_the_rows(fiscal_year):
    total = EligibilityResult.objects.filter(fiscal_year=fiscal_year).count()
    assert total > 0

    whole = floor.write_results(fiscal_year=fiscal_year, indexed=True)
    half = floor.write_results(fiscal_year=fiscal_year, indexed=True, share=0.5)

    assert whole["rows"] == whole["rows_copied"] == total
    assert whole["seconds"] == whole["seconds_measured"]
    assert half["rows"] == total
    assert 0 < half["rows_copied"] < total
    assert half["bytes"] < whole["bytes"]
    assert half["seconds"] == pytest.approx(half["seconds_measured"] * total / half["rows_copied"])


def test_the_command_refuses_a_share_outside_zero_to_one(db):
    from django.core.management.base import CommandError

    for share in ("0", "1.5", "-0.2"):
        with pytest.raises(CommandError, match="--write-floor-share"):
            call_command("bench", enterprises=10, write_floor_share=float(share), stdout=io.StringIO())
