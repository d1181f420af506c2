"""Guards for the processes that serve requests (WSGI and ASGI)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secret_key() -> None:
    """Refuse to serve with a throwaway secret key: sessions and tokens would not survive a restart."""
    if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENVIRONMENT:
        raise ImproperlyConfigured("SECRET_KEY is required to serve requests when DEBUG is off.")
