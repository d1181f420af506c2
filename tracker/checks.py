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
