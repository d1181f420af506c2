import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tests.factories import UserFactory, give_office
from tracker.services.tokens import api_token_create


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(owner=user, name='tests')[1]}")
    return client


def user_with_perms(*codenames: str, region: str = "320000"):
    """A new user holding exactly these tracker permissions (codenames such as `view_enterprise`), in an
    office of ``region`` (the province by default: every region is visible)."""
    user = UserFactory()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames))
    give_office(user, region)
    return user


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    """A token client for the staff user of tests/conftest.py (all tracker permissions but the override)."""
    return token_client(staff_user)


@pytest.fixture
def static_storage(settings):
    # The manifest storage needs collectstatic, which the suite does not run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
