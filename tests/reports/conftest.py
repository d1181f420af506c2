"""A small province for the report tests: the demo generator's enterprises after a full nightly run,
with designations in every state the report counts (held and eligible, held and not eligible, due for
复核, on their way, run out), and some enterprises moved to counties."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction

from tracker.models import Designation, EligibilityResult, Enterprise, EvaluationRun, Region
from tracker.services.runs import run_start, run_sync

DAY1 = dt.date(2026, 5, 1)


def nightly(as_of: dt.date) -> EvaluationRun:
    run = run_sync(run=run_start(kind="nightly", as_of=as_of, dispatch=False))
    assert run.status == EvaluationRun.Status.SUCCEEDED
    return run


def designate(result, *, status="active", recognized_on=dt.date(2024, 6, 1), valid_until=dt.date(2027, 5, 31),
              batch="2024年第一批", document_no="苏工信〔2024〕1号") -> Designation:
    # The demo grants titles of its own; a holding designation may not overlap another of the same title
    # (the database refuses it), so the state under test replaces whatever the demo gave.
    Designation.objects.filter(
        enterprise_id=result.enterprise_id, tier_id=result.tier_id, cluster_id=result.cluster_id
    ).delete()
    return Designation.objects.create(
        enterprise_id=result.enterprise_id, tier_id=result.tier_id, cluster_id=result.cluster_id, status=status,
        recognized_on=recognized_on if status not in ("candidate", "publicized") else None,
        valid_until=valid_until, batch=batch, document_no=document_no,
    )


@pytest.fixture(scope="module")
def _module_province(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction rolled back at the end; each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_province()
        transaction.set_rollback(True)


@pytest.fixture
def province(_module_province, db):
    return _module_province


def build_province():
    """Reference data, 240 demo enterprises (some in counties), a nightly run on DAY1, designations."""
    call_command("bootstrap", verbosity=0, stdout=open("/dev/null", "w"))
    call_command("generate_demo", enterprises=240, seed=5, stdout=open("/dev/null", "w"))
    counties = list(Region.objects.filter(level="county", code__startswith="3205", retired_in__isnull=True)[:2])
    suzhou = list(Enterprise.objects.filter(region__code="320500").order_by("pk").values_list("pk", flat=True))
    for i, county in enumerate(counties):
        Enterprise.objects.filter(pk__in=suzhou[i::3]).update(region=county)
    run = nightly(DAY1)
    results = EligibilityResult.objects.order_by("tier_id", "enterprise_id", "cluster_id")
    for tier in sorted(set(results.values_list("tier_id", flat=True))):
        eligible = list(results.filter(tier_id=tier, status="eligible")[:6])
        failing = list(results.filter(tier_id=tier).exclude(status="eligible")[:6])
        for result in eligible[:2]:
            designate(result)  # held, eligible
        if len(eligible) > 2:
            designate(eligible[2], status="candidate")  # on its way: not a candidate of the next batch
        if len(eligible) > 3:
            designate(eligible[3], valid_until=DAY1 + dt.timedelta(days=30))  # held, expiring
        for result in failing[:2]:
            designate(result, batch="2023年第二批", document_no="苏工信〔2023〕7号")  # held, at risk
        if len(failing) > 2:
            designate(failing[2], status="review_due", valid_until=DAY1 + dt.timedelta(days=60))
        if len(failing) > 3:
            designate(failing[3], valid_until=DAY1 - dt.timedelta(days=1))  # ran out the day before
        if len(failing) > 4:
            designate(failing[4], status="revoked")  # not held
    return run
