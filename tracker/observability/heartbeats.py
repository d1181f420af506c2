"""Heartbeats of the Celery workers and of beat, kept in the broker's Redis.

Each worker's main process and the beat process write "I am alive at T" every few seconds into a
sorted set (member = who, score = time). The health check and the metrics read how many wrote
recently. Kept in the broker because every host already reaches it, and a dead process simply
stops writing: nothing has to clean up after a SIGKILL.

Beat also holds a lease (a Redis key with a time-to-live): only the holder sends schedules, so a
second beat started by mistake waits as a standby instead of sending every task twice
(perf-reliability.md §2, "Beat runs twice").
"""

from __future__ import annotations

import os
import socket
import time

import redis
from django.conf import settings

WORKERS_KEY = "tidu:heartbeat:workers"
BEATS_KEY = "tidu:heartbeat:beats"
BEAT_LEASE_KEY = "tidu:beat:lease"

_clients: dict[str, redis.Redis] = {}


def broker_client() -> redis.Redis | None:
    """A Redis client for the broker, or None when tasks run in-process (no broker configured)."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return _clients[url]


def stale_after() -> float:
    return float(settings.TIDU["HEARTBEAT_STALE_SECONDS"])


def beat(key: str, member: str, *, now: float | None = None) -> None:
    """Record that ``member`` is alive, and drop members that have been silent for long."""
    client = broker_client()
    if client is None:
        return
    now = time.time() if now is None else now
    with client.pipeline() as pipe:
        pipe.zadd(key, {member: now})
        # Forget the long dead (a day), so the set does not grow with every restart's new pid.
        pipe.zremrangebyscore(key, "-inf", now - 86400)
        pipe.execute()


def forget(key: str, member: str) -> None:
    """A clean shutdown: the member stops counting at once instead of after the stale window."""
    client = broker_client()
    if client is not None:
        client.zrem(key, member)


def alive(key: str, *, now: float | None = None) -> list[str]:
    """Members that wrote a heartbeat within the stale window."""
    client = broker_client()
    if client is None:
        return []
    now = time.time() if now is None else now
    return sorted(m.decode() for m in client.zrangebyscore(key, now - stale_after(), "+inf"))


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat_lease(holder: str, *, ttl: float | None = None) -> bool:
    """Take or renew the beat lease for ``holder``; False while another beat holds it."""
    client = broker_client()
    if client is None:
        return True
    ttl_ms = int((ttl if ttl is not None else stale_after()) * 1000)
    if client.set(BEAT_LEASE_KEY, holder, nx=True, px=ttl_ms):
        return True
    current = client.get(BEAT_LEASE_KEY)
    if current is not None and current.decode() == holder:
        client.pexpire(BEAT_LEASE_KEY, ttl_ms)
        return True
    return False


def beat_lease_holder() -> str | None:
    client = broker_client()
    if client is None:
        return None
    current = client.get(BEAT_LEASE_KEY)
    return current.decode() if current is not None else None


def beat_lease_release(holder: str) -> None:
    client = broker_client()
    if client is not None and beat_lease_holder() == holder:
        client.delete(BEAT_LEASE_KEY)
