"""System checks for production settings (run by `manage.py check --deploy`), one per condition."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Error, Tags, Warning, register

# The placeholder of .env.example: copying the file without editing it must not pass as a secret.
SAMPLE_SECRET_KEYS = {"change-me"}


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
        Error(
            "CELERY_BROKER_URL is not set: tasks would run inside web requests and no beat or worker runs the "
            "nightly recompute.",
            hint="Set CELERY_BROKER_URL to the Redis broker (docs/operations.md).",
            id="tidu.E002",
        )
    ]


@register(Tags.security, deploy=True)
def secret_key_is_not_the_sample(app_configs=None, **kwargs):
    if settings.SECRET_KEY not in SAMPLE_SECRET_KEYS:
        return []
    return [
        Error(
            "SECRET_KEY is the sample value of .env.example.",
            hint="Generate one: python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            id="tidu.E003",
        )
    ]


@register(Tags.staticfiles, deploy=True)
def static_files_collected(app_configs=None, **kwargs):
    """The hashed static storage needs collectstatic's manifest; without it the admin has no styles."""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    if (Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name).exists():
        return []
    return [
        Error(
            f"Static files are not collected: {settings.STATIC_ROOT} has no {staticfiles_storage.manifest_name}.",
            hint="Run `python manage.py collectstatic --noinput` at each deploy (README, Deploy).",
            id="tidu.E004",
        )
    ]


@register(Tags.caches, deploy=True)
def shared_cache_configured(app_configs=None, **kwargs):
    """API throttling counts in the default cache: a per-process cache lets N workers allow N × the rate."""
    if not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        return []
    return [
        Warning(
            "CACHE_URL is not set: each web process counts API throttling on its own.",
            hint="Set CACHE_URL to Redis, e.g. redis://127.0.0.1:6379/1 (.env.example).",
            id="tidu.W002",
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
    # An Excel export job runs longer than a chunk, and a chunk prefetched behind it waits for it.
    export_hard = settings.TIDU["EXPORT_TIME_LIMIT"] + hard - soft
    needed = max(hard * held, export_hard + hard * (held - 1))
    if not visibility > needed:
        problems.append(Warning(
            f"CELERY_VISIBILITY_TIMEOUT ({visibility} s) is not above the hard time limit × {held} ({hard * held} s) "
            f"and an export job's hard limit plus the chunks held behind it ({export_hard + hard * (held - 1)} s): "
            "Redis would hand a chunk or an export still running to a second worker.",
            hint="Raise CELERY_VISIBILITY_TIMEOUT, or lower TIDU_EXPORT_TIME_LIMIT (docs/operations.md, More hosts).",
            id="tidu.W003",
        ))
    return problems
