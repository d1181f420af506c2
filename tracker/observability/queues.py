"""How many task messages wait in the Redis broker (kombu's layout: one list per queue and priority)."""

from __future__ import annotations

import redis
from celery import current_app
from kombu.transport.redis import PRIORITY_STEPS, Channel


def queue_names() -> list[str]:
    # The project's app (config/celery.py) is the current one once Django's settings are loaded; asking
    # Celery for it keeps this module below the entry points (docs/architecture.md).
    conf = current_app.conf
    names = {conf.task_default_queue}
    names.update(q.name for q in conf.task_queues or ())
    return sorted(names)


def depths(client: redis.Redis) -> dict[str, int]:
    """Messages waiting per queue, summed over kombu's priority lists."""
    out = {}
    for queue in queue_names():
        keys = [queue] + [f"{queue}{Channel.sep}{step}" for step in PRIORITY_STEPS if step]
        with client.pipeline() as pipe:
            for key in keys:
                pipe.llen(key)
            out[queue] = sum(pipe.execute())
    return out


def unacked(client: redis.Redis) -> int:
    """Messages a worker holds and has not acknowledged yet (running chunks, with acks_late)."""
    return int(client.hlen(Channel.unacked_key))
