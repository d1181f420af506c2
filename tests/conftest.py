import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory, give_office


@pytest.fixture
def staff_user(db):
    """A province staff member holding every tracker permission except the USCC override."""
    user = UserFactory(username="staff", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tracker").exclude(codename="override_uscc_check")
    )
    give_office(user)
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)
