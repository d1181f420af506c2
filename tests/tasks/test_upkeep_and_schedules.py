import datetime as dt

import pytest
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from tests.factories import DesignationFactory, EnterpriseFactory
from tracker.models import Designation, EvaluationRun
from tracker.services.designation_upkeep import designations_upkeep
from tracker.services.schedules import (
    EXPORTS_CLEAN_NAME,
    NIGHTLY_NAME,
    REPORT_DEADLINE_NAME,
    SWEEP_NAME,
    schedules_ensure,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 5, 1)


def test_upkeep_expires_lapsed_titles_and_flags_reviews_coming_due_with_history(settings):
    settings.TIDU = {**settings.TIDU, "REVIEW_DUE_DAYS": 90}
    lapsed = DesignationFactory(status="active", valid_until=TODAY - dt.timedelta(days=1))
    lapsed_review = DesignationFactory(status="review_due", valid_until=TODAY - dt.timedelta(days=30))
    due = DesignationFactory(status="active", valid_until=TODAY + dt.timedelta(days=90))
    renewed_due = DesignationFactory(status="renewed", valid_until=TODAY)
    later = DesignationFactory(status="active", valid_until=TODAY + dt.timedelta(days=91))
    open_ended = DesignationFactory(status="active", valid_until=None)
    revoked = DesignationFactory(status="revoked", valid_until=TODAY - dt.timedelta(days=1))
    history_before = {d.pk: d.history.count() for d in Designation.objects.all()}

    assert designations_upkeep(today=TODAY) == {"expired": 2, "review_due": 2}

    status = dict(Designation.objects.values_list("pk", "status"))
    assert status[lapsed.pk] == status[lapsed_review.pk] == "expired"
    assert status[due.pk] == status[renewed_due.pk] == "review_due"
    assert status[later.pk] == status[open_ended.pk] == "active" and status[revoked.pk] == "revoked"
    for d in (lapsed, lapsed_review, due, renewed_due):
        assert d.history.count() == history_before[d.pk] + 1
        latest = d.history.latest()
        assert latest.status == status[d.pk] and latest.history_change_reason == "nightly upkeep"
    for d in (later, open_ended, revoked):
        assert d.history.count() == history_before[d.pk]
    # Running it again changes nothing and writes no history.
    assert designations_upkeep(today=TODAY) == {"expired": 0, "review_due": 0}
    assert sum(d.history.count() for d in Designation.objects.all()) == sum(history_before.values()) + 4


def test_the_nightly_task_runs_upkeep_then_a_full_run(reference_data, django_capture_on_commit_callbacks):
    from tracker.tasks import nightly_recompute_task

    EnterpriseFactory()
    lapsed = DesignationFactory(status="active", valid_until=dt.date(2020, 1, 1), recognized_on=dt.date(2017, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        nightly_recompute_task.delay()  # eager: no broker in these tests
    lapsed.refresh_from_db()
    assert lapsed.status == "expired"
    run = EvaluationRun.objects.get(kind="nightly")
    assert run.is_full and run.status == "succeeded" and run.chunks_done == run.chunks_total >= 1


def test_schedules_ensure_creates_the_nightly_run_and_the_sweeper_once():
    assert schedules_ensure() == {
        NIGHTLY_NAME: True, SWEEP_NAME: True, REPORT_DEADLINE_NAME: True, EXPORTS_CLEAN_NAME: True
    }
    nightly = PeriodicTask.objects.get(name=NIGHTLY_NAME)
    assert nightly.task == "tracker.tasks.nightly_recompute_task" and nightly.enabled
    assert (nightly.crontab.minute, nightly.crontab.hour, nightly.crontab.day_of_week) == ("0", "2", "*")
    assert str(nightly.crontab.timezone) == "Asia/Shanghai"
    sweep = PeriodicTask.objects.get(name=SWEEP_NAME)
    assert sweep.task == "tracker.tasks.sweep_runs_task"
    assert (sweep.interval.every, sweep.interval.period) == (1, IntervalSchedule.MINUTES)

    deadline = PeriodicTask.objects.get(name=REPORT_DEADLINE_NAME)
    assert deadline.task == "tracker.tasks.reports_deadline_task"
    assert (deadline.crontab.minute, deadline.crontab.hour) == ("30", "7")
    clean = PeriodicTask.objects.get(name=EXPORTS_CLEAN_NAME)
    assert clean.task == "tracker.tasks.exports_clean_task"
    assert (clean.interval.every, clean.interval.period) == (1, IntervalSchedule.HOURS)

    assert schedules_ensure() == {
        NIGHTLY_NAME: False, SWEEP_NAME: False, REPORT_DEADLINE_NAME: False, EXPORTS_CLEAN_NAME: False
    }
    assert PeriodicTask.objects.count() == 4
    assert CrontabSchedule.objects.count() == 2 and IntervalSchedule.objects.count() == 2


def test_schedules_ensure_keeps_a_schedule_staff_edited():
    schedules_ensure()
    at_three = CrontabSchedule.objects.create(minute="30", hour="3", timezone="Asia/Shanghai")
    PeriodicTask.objects.filter(name=NIGHTLY_NAME).update(crontab=at_three, enabled=False)
    PeriodicTask.objects.filter(name=SWEEP_NAME).update(name="sweeper (renamed by staff)")
    assert schedules_ensure() == {
        NIGHTLY_NAME: False, SWEEP_NAME: False, REPORT_DEADLINE_NAME: False, EXPORTS_CLEAN_NAME: False
    }
    nightly = PeriodicTask.objects.get(name=NIGHTLY_NAME)
    assert (nightly.crontab_id, nightly.enabled) == (at_three.pk, False)
    assert PeriodicTask.objects.filter(task="tracker.tasks.sweep_runs_task").count() == 1
