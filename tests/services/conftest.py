import copy

import pytest

from tests.admin.conftest import DEFINITION
from tests.factories import TierFactory, UserFactory
from tracker.models import Ruleset


@pytest.fixture
def definition():
    return copy.deepcopy(DEFINITION)


@pytest.fixture
def draft(db, definition):
    return Ruleset.objects.create(
        tier=TierFactory(), version="draft-1", effective_from="2026-04-01", reference="x", definition=definition
    )


@pytest.fixture
def editor(db):
    return UserFactory(username="wangfang", is_staff=True)
