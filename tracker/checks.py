"""System checks for production settings (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_from_environment(app_configs=None, **kwargs):
    if settings.SECRET_KEY_FROM_ENVIRONMENT:
        return []
    return [
        Error(
            "SECRET_KEY is not set in the environment; a throwaway key is in use.",
            hint="Set SECRET_KEY (see .env.example).",
            id="tidu.E001",
        )
    ]


@register(Tags.security, deploy=True)
def broker_configured(app_configs=None, **kwargs):
    """Without a broker, tasks run inside web requests and nothing runs the nightly recompute."""
    if settings.CELERY_BROKER_URL:
        return []
    return [
        Warning(
            "CELERY_BROKER_URL is not set: tasks run in-process and no beat or worker runs the nightly recompute.",
            hint="Set CELERY_BROKER_URL to the Redis broker (docs/operations.md).",
            id="tidu.W001",
        )
    ]


@register(deploy=True)
def task_limits_consistent(app_configs=None, **kwargs):
    """Several worker hosts share one Redis: a message a worker has not acknowledged goes to another
    worker after the visibility timeout, so the timeout must outlast the chunks a worker holds (the
    one it runs and the ones it prefetched) at their hard time limit, and the soft limit must come
    first so a chunk can give up cleanly (docs/operations.md, "More hosts")."""
    soft, hard = settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT
    held = settings.CELERY_WORKER_PREFETCH_MULTIPLIER + 1
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    problems = []
    if not soft < hard:
        problems.append(Warning(
            f"CELERY_TASK_SOFT_TIME_LIMIT ({soft} s) is not below CELERY_TASK_TIME_LIMIT ({hard} s).",
            hint="A chunk must be told to stop before it is killed.", id="tidu.W002",
        ))
    if not visibility > hard * held:
        problems.append(Warning(
            f"CELERY_VISIBILITY_TIMEOUT ({visibility} s) is not above the hard time limit × {held} ({hard * held} s): "
            "Redis would hand a chunk still running to a second worker.",
            hint="Raise CELERY_VISIBILITY_TIMEOUT (docs/operations.md, More hosts).", id="tidu.W003",
        ))
    return problems
