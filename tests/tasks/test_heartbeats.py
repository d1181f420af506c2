"""Heartbeats, the beat lease and the broker-side health checks, against the real test Redis."""

import time

import pytest
from django.core.management import call_command

from tests.tasks import workers as real
from tracker.observability import health, heartbeats, queues
from tracker.observability.beat import LeasedDatabaseScheduler


@pytest.fixture
def redis_broker(settings):
    client = real.require_redis()
    client.flushdb()
    settings.CELERY_BROKER_URL = real.BROKER_URL
    settings.TIDU = {**settings.TIDU, "HEARTBEAT_STALE_SECONDS": 60}
    yield client
    client.flushdb()


def test_workers_count_while_their_heartbeat_is_fresh(redis_broker):
    now = time.time()
    heartbeats.beat(heartbeats.WORKERS_KEY, "worker1@a", now=now - 10)
    heartbeats.beat(heartbeats.WORKERS_KEY, "worker1@b", now=now - 120)  # silent for two minutes
    assert heartbeats.alive(heartbeats.WORKERS_KEY, now=now) == ["worker1@a"]
    result = health.workers()
    assert result.ok and result.detail == "1 alive"
    heartbeats.forget(heartbeats.WORKERS_KEY, "worker1@a")  # a clean shutdown
    result = health.workers()
    assert not result.ok and "no worker has reported" in result.detail


def test_one_beat_holds_the_lease_and_a_second_waits(redis_broker):
    assert heartbeats.beat_lease("host-a:1")
    assert heartbeats.beat_lease("host-a:1")  # renewing
    assert not heartbeats.beat_lease("host-b:2")
    assert heartbeats.beat_lease_holder() == "host-a:1"
    heartbeats.beat_lease_release("host-a:1")
    assert heartbeats.beat_lease("host-b:2")


def test_a_lease_whose_holder_died_passes_to_the_standby(redis_broker):
    assert heartbeats.beat_lease("host-a:1", ttl=0.2)
    assert not heartbeats.beat_lease("host-b:2")
    time.sleep(0.3)  # host-a stopped renewing
    assert heartbeats.beat_lease("host-b:2")


@pytest.mark.django_db
def test_a_second_beat_scheduler_sends_nothing_while_the_first_is_alive(redis_broker, monkeypatch):
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery import app

    call_command("bootstrap", verbosity=0, stdout=open("/dev/null", "w"))
    sent = []
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: sent.append(self._name) or 1.0)
    first = LeasedDatabaseScheduler(app=app, lazy=True)
    second = LeasedDatabaseScheduler(app=app, lazy=True)
    first._name, second._name = "host-a:1", "host-b:2"
    for _ in range(3):
        first.tick()
        second.tick()
    assert sent == ["host-a:1"] * 3
    assert sorted(heartbeats.alive(heartbeats.BEATS_KEY)) == ["host-a:1", "host-b:2"]
    result = health.beat()
    assert result.ok and result.detail == "active host-a:1, 1 standby"
    first.close()  # a clean stop releases the lease: the standby takes over at its next check
    second._checked_at = None
    second.tick()
    assert sent[-1] == "host-b:2"


def test_no_beat_is_a_failing_check(redis_broker):
    result = health.beat()
    assert not result.ok and "no beat has reported" in result.detail


def test_queue_depth_counts_the_waiting_messages(redis_broker):
    redis_broker.lpush("celery", "m1", "m2")
    redis_broker.lpush("celery\x06\x163", "m3")  # kombu's list for priority 3
    redis_broker.lpush("bulk", "b1")  # a full run's chunk
    redis_broker.hset("unacked", "tag", "m4")
    assert queues.depths(redis_broker) == {"bulk": 1, "celery": 3}
    assert queues.unacked(redis_broker) == 1
