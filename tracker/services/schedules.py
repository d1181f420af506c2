"""Periodic tasks for celery beat (django-celery-beat's DatabaseScheduler reads them from the database).

``schedules_ensure()`` is idempotent: it creates what is missing and leaves a schedule that staff
edited in the admin (another time, disabled, other arguments) as it is.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

NIGHTLY_NAME = "tidu: nightly recompute"
SWEEP_NAME = "tidu: sweep recompute runs"
NIGHTLY_TASK = "tracker.tasks.nightly_recompute_task"
SWEEP_TASK = "tracker.tasks.sweep_runs_task"
NIGHTLY_TIMEZONE = "Asia/Shanghai"
REPORT_DEADLINE_NAME = "tidu: tier report deadline"
REPORT_DEADLINE_TASK = "tracker.tasks.reports_deadline_task"
EXPORTS_CLEAN_NAME = "tidu: clean up Excel exports"
EXPORTS_CLEAN_TASK = "tracker.tasks.exports_clean_task"


@transaction.atomic
def schedules_ensure() -> dict[str, bool]:
    """Create the nightly recompute (02:00 Asia/Shanghai), the run sweeper (every minute), the report
    deadline and the hourly export clean-up unless they exist. Returns {periodic task name: created}."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = {}
    # A task already scheduled (under our name, or renamed by staff) is left alone.
    if PeriodicTask.objects.filter(Q(name=NIGHTLY_NAME) | Q(task=NIGHTLY_TASK)).exists():
        created[NIGHTLY_NAME] = False
    else:
        at_two = {"minute": "0", "hour": "2", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
                  "timezone": NIGHTLY_TIMEZONE}
        crontab = CrontabSchedule.objects.filter(**at_two).first() or CrontabSchedule.objects.create(**at_two)
        PeriodicTask.objects.create(
            name=NIGHTLY_NAME,
            task=NIGHTLY_TASK,
            crontab=crontab,
            description="Designation upkeep, then a full recompute of every enterprise (夜间例行评价).",
        )
        created[NIGHTLY_NAME] = True
    if PeriodicTask.objects.filter(Q(name=SWEEP_NAME) | Q(task=SWEEP_TASK)).exists():
        created[SWEEP_NAME] = False
    else:
        minute = {"every": 1, "period": IntervalSchedule.MINUTES}
        every_minute = IntervalSchedule.objects.filter(**minute).first() or IntervalSchedule.objects.create(**minute)
        PeriodicTask.objects.create(
            name=SWEEP_NAME,
            task=SWEEP_TASK,
            interval=every_minute,
            description="Re-queue chunks of open runs that no worker finished; close finished runs.",
        )
        created[SWEEP_NAME] = True
    created[REPORT_DEADLINE_NAME] = _report_deadline(CrontabSchedule, PeriodicTask)
    created[EXPORTS_CLEAN_NAME] = _exports_clean(IntervalSchedule, PeriodicTask)
    return created


def _exports_clean(IntervalSchedule, PeriodicTask) -> bool:
    """Every hour: export files past TIDU_EXPORT_KEEP_DAYS deleted, abandoned export jobs failed."""
    if PeriodicTask.objects.filter(Q(name=EXPORTS_CLEAN_NAME) | Q(task=EXPORTS_CLEAN_TASK)).exists():
        return False
    hour = {"every": 1, "period": IntervalSchedule.HOURS}
    every_hour = IntervalSchedule.objects.filter(**hour).first() or IntervalSchedule.objects.create(**hour)
    PeriodicTask.objects.create(
        name=EXPORTS_CLEAN_NAME,
        task=EXPORTS_CLEAN_TASK,
        interval=every_hour,
        description="Delete Excel export files past their retention; fail export jobs left running (导出清理).",
    )
    return True


def _report_deadline(CrontabSchedule, PeriodicTask) -> bool:
    """At TIDU_REPORT_DEADLINE (07:30): tonight's reports from the previous run if the run is late."""
    from django.conf import settings

    if PeriodicTask.objects.filter(Q(name=REPORT_DEADLINE_NAME) | Q(task=REPORT_DEADLINE_TASK)).exists():
        return False
    hour, minute = settings.TIDU["REPORT_DEADLINE"].split(":")
    at = {"minute": str(int(minute)), "hour": str(int(hour)), "day_of_week": "*", "day_of_month": "*",
          "month_of_year": "*", "timezone": NIGHTLY_TIMEZONE}
    crontab = CrontabSchedule.objects.filter(**at).first() or CrontabSchedule.objects.create(**at)
    PeriodicTask.objects.create(
        name=REPORT_DEADLINE_NAME,
        task=REPORT_DEADLINE_TASK,
        crontab=crontab,
        description="Tier reports from the previous run if the nightly run has not completed (报告截止时间).",
    )
    return True
