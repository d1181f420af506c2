"""A draft's preview at scale: the pages a staff member waits for after saving criteria, and the
background job that computes the preview.

A draft is copied from the active ruleset of ``tier`` and one threshold of it saved through the admin's
criteria table (Django's test client, as a superuser made for the bench); then the preview page the save
leads to is read, and read again every ``poll`` seconds until a fresh Celery worker (save_latency's, on
the settings' broker) has finished the preview. The draft and its previews are deleted afterwards.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tracker.admin.ruleset_criteria import CriteriaFormSet, ScaledNumberField
from tracker.bench.save_latency import ROOT, _start_worker, _stop_worker
from tracker.models import Ruleset, RulesetPreview
from tracker.services.ruleset_criteria import criterion_rows
from tracker.services.rulesets import ruleset_copy_as_draft

USERNAME = "bench_preview"


def measure(*, tier: str, poll: float = 2.0, timeout: float = 900.0, log=print) -> dict:
    if not settings.CELERY_BROKER_URL:
        raise RuntimeError("set CELERY_BROKER_URL (a Redis database of your own): the worker takes the preview from it")
    active = Ruleset.objects.filter(tier_id=tier, status=Ruleset.Status.ACTIVE, jurisdiction=None).first()
    if active is None:
        raise RuntimeError(f"no active national ruleset of tier {tier}")
    user, _created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    draft = ruleset_copy_as_draft(ruleset=active, user=user)
    worker = _start_worker(ROOT, log=log)
    try:
        return _save_and_watch(client, draft, poll=poll, timeout=timeout, log=log)
    finally:
        _stop_worker(worker)
        draft.delete()


def _timed(call):
    began = time.perf_counter()
    response = call()
    return response, time.perf_counter() - began


def _save_and_watch(client, draft: Ruleset, *, poll: float, timeout: float, log) -> dict:
    url = reverse("admin:tracker_ruleset_criteria", args=[draft.pk])
    _form, open_seconds = _timed(lambda: client.get(url))
    formset = CriteriaFormSet(rows=criterion_rows(draft.definition), prefix="criteria")  # as the page renders it
    data = {f"criteria-{k}": v for k, v in formset.management_form.initial.items()}
    data["revision"] = draft.revision
    for row in formset.forms:
        for name, field in row.fields.items():
            value = field.prepare_value(row.initial.get(name))
            data[row.add_prefix(name)] = value if value is not None else ""
    first = next(
        row
        for row in formset.forms
        if type(row.fields.get("threshold")) is ScaledNumberField and "threshold_high" not in row.fields
    )
    data[first.add_prefix("threshold")] = _changed(data[first.add_prefix("threshold")])
    saved, save_seconds = _timed(lambda: client.post(url, data))
    if saved.status_code != 302:
        raise RuntimeError(f"the save was refused ({saved.status_code})")
    if saved["Location"] != reverse("admin:tracker_ruleset_preview", args=[draft.pk]):
        raise RuntimeError(f"the save led to {saved['Location']}, not to the preview")
    _page, page_seconds = _timed(lambda: client.get(saved["Location"]))
    preview = RulesetPreview.objects.get(ruleset=draft)
    log(f"  save {save_seconds * 1000:.0f} ms, preview page {page_seconds * 1000:.0f} ms "
        f"({preview.get_status_display()})")
    polls, began = [], time.perf_counter()
    while preview.is_open and time.perf_counter() - began < timeout:
        time.sleep(poll)
        _page, seconds = _timed(lambda: client.get(saved["Location"]))
        preview.refresh_from_db()
        polls.append(seconds)
    if preview.status != RulesetPreview.Status.DONE:
        raise RuntimeError(f"the preview did not finish: {preview.status} {preview.error}")
    figures = {
        "criteria_page_seconds": open_seconds,
        "save_seconds": save_seconds,
        "preview_page_seconds": page_seconds,
        "polls": len(polls),
        "poll_page_max_seconds": max(polls, default=0.0),
        "queued_seconds": (preview.started_at - preview.requested_at).total_seconds(),
        "task_seconds": (preview.finished_at - preview.started_at).total_seconds(),
        "enterprises": preview.total,
        "result": {k: v for k, v in preview.result.items() if k != "examples"},
    }
    log(f"  task {figures['task_seconds']:.1f} s over {preview.total} enterprises "
        f"(queued {figures['queued_seconds']:.1f} s); {len(polls)} polls, "
        f"slowest page {figures['poll_page_max_seconds'] * 1000:.0f} ms")
    return figures


def _changed(shown: str) -> str:
    """The threshold a little higher (as typed: 万元, %, …)."""
    try:
        return f"{float(shown) * 1.1:g}"
    except ValueError:
        return shown
