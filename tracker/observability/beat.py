"""The beat scheduler Tidu runs: django-celery-beat's DatabaseScheduler, plus a heartbeat and a lease.

Only the holder of the lease sends anything; a second beat started by mistake (two hosts both
enabling it, a leftover process) waits as a standby and takes over within the stale window if the
active one dies. The health check reports the active beat and any standbys.
"""

from __future__ import annotations

import logging
import time

import redis
from django_celery_beat.schedulers import DatabaseScheduler

from tracker.observability import heartbeats

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds; beat ticks at least this often (beat_max_loop_interval)


class LeasedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs):
        self._name = heartbeats.process_name()
        self._active = False
        self._checked_at: float | None = None
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        try:
            active = self._keep_alive()
        except redis.RedisError as exc:
            # Without the broker nothing can be sent anyway; try again on the next tick.
            logger.warning("beat: the broker is unreachable (%s); not sending", type(exc).__name__)
            return self.max_interval
        if not active:
            return min(self.max_interval, HEARTBEAT_EVERY)
        return min(super().tick(*args, **kwargs), HEARTBEAT_EVERY)

    def _keep_alive(self) -> bool:
        now = time.monotonic()
        if self._checked_at is not None and now - self._checked_at < HEARTBEAT_EVERY:
            return self._active
        heartbeats.beat(heartbeats.BEATS_KEY, self._name)
        active = heartbeats.beat_lease(self._name)
        if active != self._active or self._checked_at is None:
            if active:
                logger.info("beat %s holds the lease: sending schedules", self._name)
                # Re-read the schedule (and each task's last run) a previous holder left behind.
                self._initial_read, self._heap = True, None
            else:
                holder = heartbeats.beat_lease_holder()
                logger.warning("beat %s waits as a standby: %s holds the lease", self._name, holder)
        self._checked_at, self._active = now, active
        return active

    def close(self):
        try:
            heartbeats.forget(heartbeats.BEATS_KEY, self._name)
            heartbeats.beat_lease_release(self._name)
        except redis.RedisError:
            pass
        super().close()
