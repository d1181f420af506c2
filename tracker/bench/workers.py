"""The cold recompute in K child processes that share one run's chunks (a stand-in for K workers).

Children are spawned (not forked) so each one's peak RSS is its own: each calls django.setup(),
waits at a start signal, then takes chunk ids from a shared queue and calls process_chunk on them,
exactly as a Celery worker with prefetch 1 would. The run's completion is recorded by the ledger.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import time

from django.db import connection

from tracker.models import EvaluationRun
from tracker.services.runs import run_start

from . import child as child_entry


def recompute_in_children(*, as_of: dt.date, processes: int) -> dict:
    run = run_start(kind=EvaluationRun.Kind.MANUAL, as_of=as_of, dispatch=False)
    chunk_ids = list(run.chunks.order_by("pk").values_list("pk", flat=True))
    connection.close()  # never share a connection with children
    ctx = mp.get_context("spawn")
    queue, ready, results, start = ctx.Queue(), ctx.Queue(), ctx.Queue(), ctx.Event()
    for chunk_id in chunk_ids:
        queue.put(chunk_id)
    for _ in range(processes):
        queue.put(None)
    children = [ctx.Process(target=child_entry.run, args=(queue, ready, start, results)) for _ in range(processes)]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=300)  # django.setup() in each child
    began = time.perf_counter()
    start.set()
    reports = [results.get() for _ in children]
    seconds = time.perf_counter() - began
    for child in children:
        child.join()
    run.refresh_from_db()
    return {
        "processes": processes,
        "run_id": run.pk,
        "status": run.status,
        "seconds": seconds,
        "changed": run.changed,
        "chunks": run.chunks_total,
        "children": reports,
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in reports),
    }
