import datetime as dt

import pytest
from django.core.management import call_command

AS_OF = dt.date(2026, 5, 1)


@pytest.fixture
def reference_data(db):
    call_command("bootstrap", verbosity=0, stdout=open("/dev/null", "w"))


@pytest.fixture
def demo(reference_data):
    """A small deterministic demo population: returns the enterprise count."""

    def make(n: int = 120, seed: int = 7) -> int:
        call_command("generate_demo", enterprises=n, seed=seed, stdout=open("/dev/null", "w"))
        return n

    return make
