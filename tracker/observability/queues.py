"""How many task messages wait in the Redis broker (kombu's layout: one list per queue and priority)."""

from __future__ import annotations

import redis
from kombu.transport.redis import PRIORITY_STEPS, Channel


def queue_names() -> list[str]:
    from config.celery import app

    names = {app.conf.task_default_queue}
    names.update(q.name for q in app.conf.task_queues or ())
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
