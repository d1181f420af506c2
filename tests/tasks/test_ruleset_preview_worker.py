"""A draft's preview computed by a real Celery worker: the save only queues it, the page follows it."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AnnualMetricsFactory, EnterpriseFactory, RegionFactory, TierFactory, UserFactory
from tests.tasks import test_pipeline_workers as pipeline
from tracker.models import Ruleset, RulesetPreview
from tracker.services.ruleset_preview_jobs import ruleset_preview_request

pytestmark = pytest.mark.django_db(transaction=True)
postgres, broker, start_worker = pipeline.postgres, pipeline.broker, pipeline.start_worker  # shared fixtures


def revenue_at_least(threshold: int) -> dict:
    return {"id": "revenue", "kind": "test", "label": {"zh": "营业收入", "en": "Revenue"}, "reference": "test",
            "variable": "revenue", "op": "gte", "threshold": threshold}


def test_a_worker_computes_the_preview_the_page_then_shows(start_worker, client):
    worker = start_worker("previews")
    tier = TierFactory()
    Ruleset.objects.create(tier=tier, version="ACTIVE", effective_from="2020-01-01", status="active",
                           reference="x", definition=revenue_at_least(20_000_000))
    draft = Ruleset.objects.create(tier=tier, version="DRAFT", effective_from="2020-01-01", status="draft",
                                   reference="x", definition=revenue_at_least(10_000_000))
    region, year = RegionFactory(), timezone.localdate().year - 1
    for revenue in (5_000_000, 12_000_000, 25_000_000):
        AnnualMetricsFactory(enterprise=EnterpriseFactory(region=region), fiscal_year=year, revenue=revenue)
    user = UserFactory(username="drafter", is_staff=True, is_superuser=True)
    preview = ruleset_preview_request(ruleset=draft, user=user)  # autocommit: queued for the worker
    deadline = time.monotonic() + 60
    while preview.status != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
        preview.refresh_from_db()
    assert preview.status == "done", (preview.status, preview.error, worker.log())
    assert (preview.result["gained"], preview.result["lost"], preview.total) == (1, 0, 3)
    client.force_login(user)
    content = client.get(reverse("admin:tracker_ruleset_preview", args=[draft.pk])).content.decode()
    assert '<td class="preview-gained">1</td>' in content and 'http-equiv="refresh"' not in content
    assert RulesetPreview.objects.count() == 1
