import pytest
from django.db import transaction

from tests.factories import AnnualMetricsFactory, EnterpriseFactory
from tracker.models import EvaluationRun
from tracker.services.metrics import metrics_update

pytestmark = pytest.mark.django_db


def test_one_commit_that_changes_several_rows_starts_one_on_change_run(django_capture_on_commit_callbacks):
    first = AnnualMetricsFactory(fiscal_year=2024)
    second = AnnualMetricsFactory(enterprise=first.enterprise, fiscal_year=2025)
    other = AnnualMetricsFactory(enterprise=EnterpriseFactory(), fiscal_year=2025)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        metrics_update(metrics=first, revenue=60_000_001)
        metrics_update(metrics=second, revenue=60_000_002)
        metrics_update(metrics=other, revenue=60_000_003)
    runs = EvaluationRun.objects.filter(kind=EvaluationRun.Kind.ON_CHANGE)
    assert runs.count() == 1
    assert runs.get().params["enterprise_count"] == 2


def test_an_unchanged_save_starts_no_run(django_capture_on_commit_callbacks):
    metrics = AnnualMetricsFactory()
    with django_capture_on_commit_callbacks(execute=True):
        metrics_update(metrics=metrics, revenue=metrics.revenue)
    assert not EvaluationRun.objects.filter(kind=EvaluationRun.Kind.ON_CHANGE).exists()


def test_ids_of_a_rolled_back_transaction_are_not_evaluated(django_capture_on_commit_callbacks):
    rolled_back = AnnualMetricsFactory(fiscal_year=2025)
    kept = AnnualMetricsFactory(enterprise=EnterpriseFactory(), fiscal_year=2025)
    with pytest.raises(RuntimeError), transaction.atomic():
        metrics_update(metrics=rolled_back, revenue=60_000_009)
        raise RuntimeError("the request failed")
    with django_capture_on_commit_callbacks(execute=True):
        metrics_update(metrics=kept, revenue=60_000_010)
    run = EvaluationRun.objects.get(kind=EvaluationRun.Kind.ON_CHANGE)
    assert run.chunks.get().enterprise_ids == [kept.enterprise_id]
