"""A draft's preview as a background job: one per draft and revision at a time, computed by the task
(eagerly here, as in the embedded demo), outdated once the draft changes, required for activation."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import AnnualMetricsFactory, EnterpriseFactory, RegionFactory
from tracker.models import Ruleset, RulesetPreview
from tracker.services import ruleset_preview_jobs as jobs
from tracker.services.ruleset_preview_jobs import (
    preview_alive,
    ruleset_activation_check,
    ruleset_preview_compute,
    ruleset_preview_request,
)
from tracker.services.rulesets import ruleset_definition_replace

REVENUES = [5_000_000, 12_000_000, 25_000_000]


def revenue_at_least(threshold: int) -> dict:
    return {
        "id": "revenue",
        "kind": "test",
        "label": {"zh": f"营业收入不低于{threshold}元", "en": f"Revenue at least CNY {threshold}"},
        "reference": "test",
        "variable": "revenue",
        "op": "gte",
        "threshold": threshold,
    }


@pytest.fixture
def compared(draft):
    """The draft asks 10m of revenue where the ruleset in force asks 20m, over three enterprises
    (5m, 12m, 25m in the year the preview evaluates)."""
    Ruleset.objects.create(
        tier=draft.tier, version="ACTIVE", effective_from="2020-01-01", status=Ruleset.Status.ACTIVE,
        reference="x", definition=revenue_at_least(20_000_000),
    )
    Ruleset.objects.filter(pk=draft.pk).update(definition=revenue_at_least(10_000_000))
    draft.refresh_from_db()
    region = RegionFactory()
    fiscal_year = timezone.localdate().year - 1
    for revenue in REVENUES:
        AnnualMetricsFactory(enterprise=EnterpriseFactory(region=region), fiscal_year=fiscal_year, revenue=revenue)
    return draft


def test_a_request_queues_one_task_for_the_drafts_revision(draft, editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        preview = ruleset_preview_request(ruleset=draft, user=editor)
    assert (preview.status, preview.revision, preview.requested_by) == ("queued", draft.revision, editor)
    assert len(queued) == 1


def test_a_second_request_for_the_same_revision_joins_the_open_one(draft, django_capture_on_commit_callbacks):
    first = ruleset_preview_request(ruleset=draft)
    with django_capture_on_commit_callbacks() as queued:
        second = ruleset_preview_request(ruleset=draft)
    assert second.pk == first.pk and not queued
    RulesetPreview.objects.filter(pk=first.pk).update(status="running", heartbeat_at=timezone.now())
    assert ruleset_preview_request(ruleset=draft).pk == first.pk
    assert RulesetPreview.objects.count() == 1


def test_a_new_revision_gets_a_preview_of_its_own(draft, definition):
    first = ruleset_preview_request(ruleset=draft)
    definition["children"][0]["threshold"] = 2_000_000
    ruleset_definition_replace(ruleset=draft, definition=definition)
    second = ruleset_preview_request(ruleset=draft)
    assert second.pk != first.pk and (first.revision, second.revision) == (1, 2)


def test_the_task_computes_the_comparison_and_keeps_it(compared, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        preview = ruleset_preview_request(ruleset=compared)
    preview.refresh_from_db()
    assert preview.status == "done" and preview.started_at <= preview.finished_at
    result = preview.result
    assert (result["evaluated"], result["eligible_active"], result["eligible_draft"]) == (3, 1, 2)
    assert (result["gained"], result["lost"], result["active"]) == (1, 0, "ACTIVE")
    [gained] = result["examples"]["gained"]
    assert gained["name"] and result["as_of"] == timezone.localdate().isoformat()
    assert (preview.done, preview.total) == (3, 3)


def test_progress_is_written_after_every_id_range(compared, settings, monkeypatch):
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 1}
    preview = ruleset_preview_request(ruleset=compared)
    seen = []
    real = jobs.ruleset_preview

    def spy(**kwargs):
        def progress(done, total):
            kwargs_progress(done, total)
            seen.append(RulesetPreview.objects.values_list("status", "done", "total").get(pk=preview.pk))

        kwargs_progress = kwargs.pop("progress")
        return real(**kwargs, progress=progress)

    monkeypatch.setattr(jobs, "ruleset_preview", spy)
    ruleset_preview_compute(preview_id=preview.pk)
    assert seen == [("running", 0, 3), ("running", 1, 3), ("running", 2, 3), ("running", 3, 3)]


def test_a_preview_is_computed_once(compared):
    preview = ruleset_preview_request(ruleset=compared)
    assert ruleset_preview_compute(preview_id=preview.pk).status == "done"
    assert ruleset_preview_compute(preview_id=preview.pk) is None  # a duplicate message


def test_a_preview_of_a_revision_saved_over_is_not_computed(draft, definition, monkeypatch):
    preview = ruleset_preview_request(ruleset=draft)
    definition["children"][0]["threshold"] = 2_000_000
    ruleset_definition_replace(ruleset=draft, definition=definition)
    monkeypatch.setattr(jobs, "ruleset_preview", lambda **kwargs: pytest.fail("computed an outdated revision"))
    done = ruleset_preview_compute(preview_id=preview.pk)
    assert done.status == "failed" and "第 2 次修订" in done.error


def test_a_definition_the_engine_rejects_fails_naming_the_node(draft, definition):
    definition["children"][1]["op"] = "above"
    Ruleset.objects.filter(pk=draft.pk).update(definition=definition)  # as no service would store it
    preview = ruleset_preview_compute(preview_id=ruleset_preview_request(ruleset=draft).pk)
    assert preview.status == "failed" and "c2_rd_ratio" in preview.error and "above" in preview.error


def test_an_unexpected_failure_is_recorded_not_raised(draft, monkeypatch, django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "ruleset_preview", broken)
    with django_capture_on_commit_callbacks(execute=True):  # eager, inside what would be the request
        preview = ruleset_preview_request(ruleset=draft)
    preview.refresh_from_db()
    assert preview.status == "failed" and "disk full" in preview.error and preview.finished_at


def test_a_preview_whose_worker_died_is_taken_over(draft, settings):
    preview = ruleset_preview_request(ruleset=draft)
    silent = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    RulesetPreview.objects.filter(pk=preview.pk).update(status="running", heartbeat_at=silent)
    preview.refresh_from_db()
    assert not preview_alive(preview)
    again = ruleset_preview_request(ruleset=draft)
    assert again.pk != preview.pk and again.status == "queued"
    preview.refresh_from_db()
    assert preview.status == "failed" and preview.error


def test_a_redelivered_message_resumes_a_dead_preview(draft, settings):
    preview = ruleset_preview_request(ruleset=draft)
    silent = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    RulesetPreview.objects.filter(pk=preview.pk).update(status="running", heartbeat_at=silent)
    assert ruleset_preview_compute(preview_id=preview.pk).status == "done"


def test_a_running_preview_that_reported_lately_is_alive(draft):
    preview = ruleset_preview_request(ruleset=draft)
    preview.status, preview.heartbeat_at = "running", timezone.now()
    assert preview_alive(preview)
    preview.status = "done"
    assert not preview_alive(preview)


def test_only_a_draft_is_previewed(draft):
    Ruleset.objects.filter(pk=draft.pk).update(status=Ruleset.Status.ACTIVE)
    draft.refresh_from_db()
    with pytest.raises(ValidationError):
        ruleset_preview_request(ruleset=draft)


def test_activation_takes_a_finished_preview_of_the_stored_revision(draft, definition):
    with pytest.raises(ValidationError, match="第 1 次"):
        ruleset_activation_check(ruleset=draft)
    preview = ruleset_preview_compute(preview_id=ruleset_preview_request(ruleset=draft).pk)
    assert preview.status == "done"
    ruleset_activation_check(ruleset=draft)
    definition["children"][0]["threshold"] = 2_000_000
    ruleset_definition_replace(ruleset=draft, definition=definition)
    with pytest.raises(ValidationError, match="第 2 次"):
        ruleset_activation_check(ruleset=draft)


def test_a_failed_preview_does_not_allow_activation(draft):
    RulesetPreview.objects.create(ruleset=draft, revision=draft.revision, status="failed", error="x")
    with pytest.raises(ValidationError):
        ruleset_activation_check(ruleset=draft)


def test_a_save_while_the_preview_runs_stops_it(compared, settings, monkeypatch):
    settings.TIDU = {**settings.TIDU, "RECOMPUTE_CHUNK_SIZE": 1}
    preview = ruleset_preview_request(ruleset=compared)
    real, reported = jobs.ruleset_preview, []

    def saved_meanwhile(**kwargs):
        inner = kwargs.pop("progress")

        def progress(done, total):
            reported.append(done)
            if done == 1:  # someone saves the draft after the first id range
                ruleset_definition_replace(ruleset=compared, definition=revenue_at_least(30_000_000))
            inner(done, total)

        return real(**kwargs, progress=progress)

    monkeypatch.setattr(jobs, "ruleset_preview", saved_meanwhile)
    stopped = ruleset_preview_compute(preview_id=preview.pk)
    assert stopped.status == "failed" and "第 2 次修订" in stopped.error and not stopped.result
    assert reported == [0, 1]  # the other id ranges were not read
