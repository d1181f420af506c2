"""The concurrency probe: pairs of simultaneous PATCHes of one enterprise, on real connections.

Each pair's two requests run in two threads (each with its own database connection) released together
by a barrier, against PostgreSQL's row locks. Different fields: both changes are kept, and the
history never shows the second writer "changing the first one's field back". The same field with
If-Match: one 200, one 412. The same field without If-Match: both 200, the last writer's value, and
the history agrees with the row.
"""

import itertools
import threading

import pytest
from django.db import connection, connections

from tests.api.conftest import token_client, user_with_perms
from tests.factories import EnterpriseFactory
from tracker.models import Enterprise

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

PAIRS = 40


def simultaneously(*requests) -> list:
    """Run each callable in its own thread, all released at once; their results in order."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(i, request):
        try:
            barrier.wait()
            results[i] = request()
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def clients():
    return tuple(token_client(user_with_perms("view_enterprise", "change_enterprise")) for _ in range(2))


def url(enterprise) -> str:
    return f"/api/v1/enterprises/{enterprise.pk}/"


def transitions(enterprise, field: str) -> int:
    """How many times ``field`` changed value along the enterprise's history."""
    values = list(enterprise.history.order_by("history_id").values_list(field, flat=True))
    return sum(1 for before, after in itertools.pairwise(values) if before != after)


def test_patches_of_different_fields_both_stick(clients):
    first, second = clients
    for i in range(PAIRS):
        enterprise = EnterpriseFactory(main_product="旧产品")
        answers = simultaneously(
            lambda e=enterprise, i=i: first.patch(url(e), {"name": f"新名称{i}有限公司"}, format="json"),
            lambda e=enterprise: second.patch(url(e), {"main_product": "新产品"}, format="json"),
        )
        assert [a.status_code for a in answers] == [200, 200], [a.json() for a in answers]
        enterprise.refresh_from_db()
        assert (enterprise.name, enterprise.main_product) == (f"新名称{i}有限公司", "新产品"), i
        assert enterprise.version == 3
        # Each field changed once along the history: nobody "changed it back".
        assert transitions(enterprise, "name") == 1 and transitions(enterprise, "main_product") == 1
        latest = enterprise.history.latest("history_id")
        assert (latest.name, latest.main_product, latest.version) == (enterprise.name, "新产品", 3)


def test_the_same_field_with_if_match_one_wins_and_the_other_is_told(clients):
    first, second = clients
    for i in range(PAIRS):
        enterprise = EnterpriseFactory()
        tag = first.get(url(enterprise))["ETag"]
        answers = simultaneously(
            lambda e=enterprise, t=tag: first.patch(url(e), {"name": "甲公司"}, format="json", HTTP_IF_MATCH=t),
            lambda e=enterprise, t=tag: second.patch(url(e), {"name": "乙公司"}, format="json", HTTP_IF_MATCH=t),
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 412], (i, [a.json() for a in answers])
        winner = next(a for a in answers if a.status_code == 200)
        loser = next(a for a in answers if a.status_code == 412)
        enterprise.refresh_from_db()
        assert enterprise.name == winner.json()["name"] and enterprise.version == 2
        assert loser.json()["current_version"] == 2 and loser["ETag"] == '"2"'
        assert enterprise.history.filter(history_type="~").count() == 1


def test_the_same_field_without_if_match_the_last_writer_wins_and_history_agrees(clients):
    first, second = clients
    for _ in range(PAIRS // 4):
        enterprise = EnterpriseFactory()
        answers = simultaneously(
            lambda e=enterprise: first.patch(url(e), {"name": "甲公司"}, format="json"),
            lambda e=enterprise: second.patch(url(e), {"name": "乙公司"}, format="json"),
        )
        assert [a.status_code for a in answers] == [200, 200]
        enterprise.refresh_from_db()
        assert enterprise.name in ("甲公司", "乙公司") and enterprise.version == 3
        history = list(enterprise.history.order_by("history_id"))
        assert [h.version for h in history] == [1, 2, 3]
        assert history[-1].name == enterprise.name
        assert Enterprise.objects.filter(pk=enterprise.pk, version=3).exists()
