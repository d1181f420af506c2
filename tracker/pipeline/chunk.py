"""Process one chunk of a run: load, evaluate what changed, write, and record progress."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tracker.models import EvaluationRun, RunChunk, Tier
from tracker.pipeline.evaluation_plan import evaluate_changed
from tracker.pipeline.facts_loader import ClusterRevenueRanks, Slice, load_chunk_facts
from tracker.pipeline.results_store import CurrentResults, replace_results
from tracker.services.rulesets import RulesetCatalog, engine_parameters

logger = logging.getLogger(__name__)

# One per worker process: cluster revenue ranks are read once per fiscal year, not once per chunk.
_cluster_ranks = ClusterRevenueRanks()


def process_chunk(*, chunk_id: int) -> bool:
    """Evaluate and store one chunk. Safe to call twice or concurrently: the work is recomputed, and
    only the first to commit writes (the chunk row is locked and checked before writing).

    Returns True when this call finished the chunk.
    """
    chunk = RunChunk.objects.select_related("run").filter(pk=chunk_id).first()
    if chunk is None or chunk.status == RunChunk.Status.DONE:
        return False
    run = chunk.run
    if run.status != EvaluationRun.Status.RUNNING:
        return False
    RunChunk.objects.filter(pk=chunk_id).exclude(status=RunChunk.Status.DONE).update(
        status=RunChunk.Status.RUNNING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    )
    started = time.perf_counter()
    part = Slice(chunk.first_id, chunk.last_id, tuple(chunk.enterprise_ids) if chunk.enterprise_ids else None)
    catalog = RulesetCatalog.active()
    tiers = run.params.get("tiers") or catalog.tiers()
    tier_index = {code: i for i, code in enumerate(Tier.objects.order_by("code").values_list("code", flat=True))}
    facts = load_chunk_facts(
        part=part,
        fiscal_year=run.fiscal_year,
        as_of=run.as_of,
        cluster_ranks=_cluster_ranks.for_run((run.pk, run.started_at)),
    )
    current = CurrentResults(part=part, fiscal_year=run.fiscal_year, tier_index=tier_index)
    loaded = time.perf_counter()
    new = evaluate_changed(
        chunk=facts,
        catalog=catalog,
        tiers=tiers,
        as_of=run.as_of,
        fiscal_year=run.fiscal_year,
        parameters=engine_parameters(),
        tolerance=settings.TIDU["NEAR_MISS_TOLERANCE"],
        tier_index=tier_index,
        existing_hash=current.hash_of,
    )
    evaluated_at = time.perf_counter()
    slots = facts.facts.n * len([t for t in tiers if t != "chain_leader"]) + (
        facts.chain_facts.n if "chain_leader" in tiers else 0
    )
    with transaction.atomic():
        locked = RunChunk.objects.select_for_update().get(pk=chunk_id)
        if locked.status == RunChunk.Status.DONE:
            return False
        now = timezone.now()
        written, flips = replace_results(current=current, new=new, fiscal_year=run.fiscal_year, run_id=run.pk, now=now)
        timings = {
            "load": loaded - started,
            "evaluate": evaluated_at - loaded,
            "write": time.perf_counter() - evaluated_at,
        }
        RunChunk.objects.filter(pk=chunk_id).update(
            status=RunChunk.Status.DONE, finished_at=now, evaluated=slots, changed=written, error_message=""
        )
        _record_progress(run_id=run.pk, evaluated=slots, changed=written, timings=timings, now=now)
    logger.info("chunk %s of run %s: %s results checked, %s written, %s flips", chunk_id, run.pk, slots, written, flips)
    return True


def _record_progress(*, run_id: int, evaluated: int, changed: int, timings: dict, now) -> None:
    run = EvaluationRun.objects.select_for_update().get(pk=run_id)
    totals = dict(run.timings or {})
    for key, seconds in timings.items():
        totals[key] = round(totals.get(key, 0.0) + seconds, 3)
    run.chunks_done += 1
    run.evaluated += evaluated
    run.changed += changed
    run.timings = totals
    fields = ["chunks_done", "evaluated", "changed", "timings"]
    if run.chunks_done >= run.chunks_total and run.status == EvaluationRun.Status.RUNNING:
        # The ledger, not a chord callback, knows when the last chunk is in.
        run.status = EvaluationRun.Status.SUCCEEDED
        run.finished_at = now
        fields += ["status", "finished_at"]
    run.save(update_fields=fields)


def record_chunk_failure(*, chunk_id: int, error: str, max_attempts: int) -> None:
    """Mark a chunk failed; after ``max_attempts`` the whole run fails with the reason."""
    with transaction.atomic():
        chunk = RunChunk.objects.select_for_update().select_related("run").filter(pk=chunk_id).first()
        if chunk is None or chunk.status == RunChunk.Status.DONE:
            return
        chunk.status = RunChunk.Status.FAILED
        chunk.error_message = error[:2000]
        chunk.save(update_fields=["status", "error_message"])
        EvaluationRun.objects.filter(pk=chunk.run_id).update(errors=F("errors") + 1)
        if chunk.attempts >= max_attempts:
            EvaluationRun.objects.filter(pk=chunk.run_id, status=EvaluationRun.Status.RUNNING).update(
                status=EvaluationRun.Status.FAILED,
                finished_at=timezone.now(),
                error_message=f"chunk {chunk.first_id}–{chunk.last_id} failed {chunk.attempts} times: {error[:500]}",
            )
