"""Process one chunk of a run: load, evaluate what changed, write, and record progress."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tracker import rules
from tracker.models import EvaluationRun, RunChunk, Tier
from tracker.observability import metrics
from tracker.pipeline.cluster_ranks import ClusterRevenueRanks, RevenueRanks
from tracker.pipeline.evaluation_plan import Evaluation, evaluate_changed
from tracker.pipeline.facts_loader import (
    ChunkFacts,
    Slice,
    assemble,
    load_metrics,
    load_profiles,
    per_cluster_tiers,
    split_tiers,
)
from tracker.pipeline.input_digest import digests_apply, digests_check, digests_save, settings_signature
from tracker.pipeline.ledger import chunk_attempts_exhausted, run_completed
from tracker.pipeline.results_store import CurrentResults, replace_results
from tracker.selectors.rulesets import RulesetCatalog, engine_parameters, near_miss_rule

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
    if run.status != EvaluationRun.Status.RUNNING or chunk_attempts_exhausted(chunk):
        return False
    RunChunk.objects.filter(pk=chunk_id).exclude(status=RunChunk.Status.DONE).update(
        status=RunChunk.Status.RUNNING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    )
    started = time.perf_counter()
    part = Slice(
        chunk.first_id, chunk.last_id, tuple(chunk.enterprise_ids) if chunk.enterprise_ids else None
    ).registered()
    context = _RunContext.of(run, part)
    work = _load(context, part)
    loaded = time.perf_counter()
    new = _evaluate(context, work)
    evaluated_at = time.perf_counter()
    with transaction.atomic():
        locked = RunChunk.objects.select_for_update().get(pk=chunk_id)
        if locked.status == RunChunk.Status.DONE:
            return False
        now = timezone.now()
        written, flips = 0, 0
        if work.current is not None:
            written, flips = replace_results(
                current=work.current, new=new, tiers=context.tiers, fiscal_year=run.fiscal_year, run_id=run.pk,
                now=now,
            )
        if work.digests is not None:
            digests_save(enterprise_ids=work.facts.enterprise_ids, digests=work.digests, fiscal_year=run.fiscal_year)
        timings = {
            "load": loaded - started,
            "evaluate": evaluated_at - loaded,
            "write": time.perf_counter() - evaluated_at,
        }
        RunChunk.objects.filter(pk=chunk_id).update(
            status=RunChunk.Status.DONE, finished_at=now, evaluated=work.slots, changed=written, error_message=""
        )
        _record_progress(
            run_id=run.pk,
            evaluated=work.slots,
            changed=written,
            inputs_changed=work.inputs_changed,
            timings=timings,
            now=now,
        )
    seconds = time.perf_counter() - started
    metrics.chunk_seconds.labels(kind=run.kind).observe(seconds)
    metrics.chunks_total.labels(kind=run.kind, outcome="done").inc()
    metrics.results_written_total.labels(kind=run.kind).inc(written)
    logger.info(
        "chunk %s of run %s: %s results checked, %s enterprises with changed inputs, %s written, %s flips",
        chunk_id, run.pk, work.slots, work.inputs_changed, written, flips,
        extra={"run_id": run.pk, "chunk_id": chunk_id, "checked": work.slots, "inputs_changed": work.inputs_changed,
               "written": written, "flips": flips, "seconds": round(seconds, 3)},
    )
    return True


@dataclass
class _RunContext:
    """What a chunk of a run evaluates with."""

    run: EvaluationRun
    catalog: RulesetCatalog
    tiers: list[str]
    tier_index: dict[str, int]
    parameters: dict
    near_miss: rules.NearMiss
    ranks: RevenueRanks
    per_cluster: frozenset[str]

    @classmethod
    def of(cls, run: EvaluationRun, part: Slice) -> _RunContext:
        catalog = RulesetCatalog.active()
        codes = Tier.objects.order_by("code").values_list("code", flat=True)
        return cls(
            run=run,
            catalog=catalog,
            tiers=run.params.get("tiers") or catalog.tiers(),
            tier_index={code: i for i, code in enumerate(codes)},
            parameters=engine_parameters(),
            near_miss=near_miss_rule(),
            ranks=_cluster_ranks.for_run((run.pk, run.started_at), enterprise_ids=part.enterprise_ids),
            per_cluster=per_cluster_tiers(),
        )


@dataclass
class _ChunkWork:
    slots: int  # results checked: enterprises × enterprise tiers, plus memberships × per-cluster tiers
    facts: ChunkFacts | None  # the enterprises to evaluate, None when no input changed
    current: CurrentResults | None  # their stored results
    digests: np.ndarray | None  # their new input digests, when the run keeps digests

    @property
    def inputs_changed(self) -> int:
        """Enterprises read in full and evaluated (all of the chunk when digests do not apply)."""
        return 0 if self.facts is None else len(self.facts.enterprise_ids)


def _load(context: _RunContext, part: Slice) -> _ChunkWork:
    """Read the chunk's profiles; on PostgreSQL full-tier runs keep only the enterprises whose input
    digest changed; then read the metrics and stored results of those alone."""
    run = context.run
    profiles = load_profiles(part=part, as_of=run.as_of, per_cluster=context.per_cluster)
    enterprise_tiers, cluster_tiers = split_tiers(context.tiers, context.per_cluster)
    slots = len(profiles.enterprise_ids) * len(enterprise_tiers) + len(profiles.member_rows) * len(cluster_tiers)
    check = None
    if digests_apply(run):
        check = digests_check(
            part=part,
            profiles=profiles,
            fiscal_year=run.fiscal_year,
            as_of=run.as_of,
            cluster_ranks=context.ranks,
            catalog=context.catalog,
            settings_signature=settings_signature(
                tiers=context.tiers, tier_index=context.tier_index, near_miss=context.near_miss,
                parameters=context.parameters, per_cluster=context.per_cluster,
            ),
            per_cluster=context.per_cluster,
        )
        stale = np.flatnonzero(check.stale)
        if len(stale) < len(profiles.enterprise_ids):  # else keep the id range: cheaper than a list
            profiles = profiles.take(stale)
            part = part.narrowed(profiles.enterprise_ids)
    if not len(profiles.enterprise_ids):
        return _ChunkWork(slots=slots, facts=None, current=None, digests=None)
    metrics = load_metrics(
        part=part, ids=profiles.enterprise_ids, fiscal_year=run.fiscal_year, fingerprint=check is not None
    )
    facts = assemble(profiles, metrics=metrics.columns, fiscal_year=run.fiscal_year, cluster_ranks=context.ranks)
    current = CurrentResults(part=part, fiscal_year=run.fiscal_year, tier_index=context.tier_index)
    digests = None if check is None else check.digests(stale, metrics)
    return _ChunkWork(slots=slots, facts=facts, current=current, digests=digests)


def _evaluate(context: _RunContext, work: _ChunkWork) -> Evaluation | None:
    if work.facts is None:
        return None
    return evaluate_changed(
        chunk=work.facts,
        catalog=context.catalog,
        tiers=context.tiers,
        as_of=context.run.as_of,
        fiscal_year=context.run.fiscal_year,
        parameters=context.parameters,
        near_miss=context.near_miss,
        tier_index=context.tier_index,
        existing_hash=work.current.hash_of,
        per_cluster=context.per_cluster,
    )


def _record_progress(*, run_id: int, evaluated: int, changed: int, inputs_changed: int, timings: dict, now) -> None:
    run = EvaluationRun.objects.select_for_update().get(pk=run_id)
    totals = dict(run.timings or {})
    for key, seconds in timings.items():
        totals[key] = round(totals.get(key, 0.0) + seconds, 3)
    run.chunks_done += 1
    run.evaluated += evaluated
    run.changed += changed
    run.inputs_changed += inputs_changed
    run.timings = totals
    fields = ["chunks_done", "evaluated", "changed", "inputs_changed", "timings"]
    if run.chunks_done >= run.chunks_total and run.status == EvaluationRun.Status.RUNNING:
        # The ledger, not a chord callback, knows when the last chunk is in.
        run.status = EvaluationRun.Status.SUCCEEDED
        run.finished_at = now
        fields += ["status", "finished_at"]
        transaction.on_commit(lambda: run_completed(run_id=run_id))
    run.save(update_fields=fields)

