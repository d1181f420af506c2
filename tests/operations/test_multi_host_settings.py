"""Several worker hosts: the Celery settings are what docs/operations.md ("More hosts") says, the
Celery app runs with them, and the deploy check flags limits that would hand a running chunk to a
second worker."""

import re
from pathlib import Path

from django.conf import settings

from config.celery import app
from tracker.checks import task_limits_consistent

OPERATIONS = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()


def more_hosts_row(setting: str) -> str:
    section = OPERATIONS.split("## More hosts", 1)[1]
    (row,) = [line for line in section.splitlines() if line.startswith(f"| {setting}")]
    return row


def test_the_worker_settings_are_the_documented_ones():
    assert settings.CELERY_TASK_ACKS_LATE is True  # a chunk is acknowledged once done, not when taken
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True  # a killed worker's chunk goes back
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert "1 (`CELERY_WORKER_PREFETCH_MULTIPLIER`" in more_hosts_row("prefetch")
    soft, hard = re.search(r"\((\d+) / (\d+) s\)", more_hosts_row("`CELERY_TASK_SOFT_TIME_LIMIT`")).groups()
    assert (int(soft), int(hard)) == (settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT)
    (visibility,) = re.search(r"default (\d+) s", more_hosts_row("`CELERY_VISIBILITY_TIMEOUT`")).groups()
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == int(visibility)
    assert settings.CELERY_BEAT_SCHEDULER == "tracker.observability.beat:LeasedDatabaseScheduler"  # one beat


def test_the_celery_app_runs_with_them():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (
        settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT
    )
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit * 2
    assert conf.beat_scheduler == settings.CELERY_BEAT_SCHEDULER


def test_the_defaults_pass_the_deploy_check_and_bad_limits_do_not(settings):
    assert task_limits_consistent() == []
    settings.CELERY_TASK_SOFT_TIME_LIMIT = settings.CELERY_TASK_TIME_LIMIT
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": settings.CELERY_TASK_TIME_LIMIT + 1}
    assert [w.id for w in task_limits_consistent()] == ["tidu.W002", "tidu.W003"]
