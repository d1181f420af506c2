"""System checks for production settings (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


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
