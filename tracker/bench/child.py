"""Entry point of a bench worker process (spawned): imports nothing from Django before setup()."""

from __future__ import annotations

import os
import time


def run(chunk_ids, ready, start, results) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from tracker.bench import memory
    from tracker.pipeline.chunk import process_chunk

    memory.reset_peak()
    ready.put(os.getpid())
    start.wait()
    began = time.perf_counter()
    done = 0
    while True:
        chunk_id = chunk_ids.get()
        if chunk_id is None:
            break
        process_chunk(chunk_id=chunk_id)
        done += 1
    results.put(
        {
            "pid": os.getpid(),
            "chunks": done,
            "seconds": time.perf_counter() - began,
            "peak_rss_bytes": memory.peak_bytes(),
        }
    )
