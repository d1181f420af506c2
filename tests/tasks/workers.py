"""Real parts for the pipeline tests: the Redis test broker, Celery worker subprocesses, and Redis
restarts. Nothing here skips: a missing PostgreSQL or Redis fails the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
BROKER_URL = os.environ.get("TIDU_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
CHUNK_SIZE = 100
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
               "--appendonly", "no"]  # as scripts/services.sh starts it


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise AssertionError(
            "These tests need PostgreSQL (a worker process must see the test database): run them with "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/tidu_tasks (see README), not "
            f"{connection.vendor}."
        )


def require_redis() -> redis.Redis:
    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise AssertionError(f"The test broker {BROKER_URL} is not reachable ({exc}): run scripts/services.sh") from exc
    return client


def test_database_url() -> str:
    """A DATABASE_URL for the test database pytest-django created (workers must write there)."""
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{db['NAME']}"


def use_broker(app) -> dict:
    """Point this process's Celery app at the test broker (publish instead of running eagerly)."""
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER_URL
    _reset_pools(app)
    return saved


def restore_app(app, saved: dict) -> None:
    _reset_pools(app)
    for key, value in saved.items():
        setattr(app.conf, key, value)


def _reset_pools(app) -> None:
    """Drop pooled broker connections (kombu keeps them in a global registry keyed by URL)."""
    from kombu import pools

    try:
        pools.reset()
    except Exception:
        pass
    app._pool = None
    app.amqp._producer_pool = None


class Worker:
    """A `celery worker` subprocess in its own process group."""

    def __init__(self, name: str, log_dir: Path, *, settings_module: str = "config.settings_test"):
        self.name = name
        self.log_path = log_dir / f"worker-{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": BROKER_URL,
            "TIDU_RECOMPUTE_CHUNK_SIZE": str(CHUNK_SIZE),
            "PYTHONUNBUFFERED": "1",
        }
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [CELERY, "-A", "config", "worker", "--pool", "prefork", "-c", "1", "--loglevel", "INFO",
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group (the main process and its pool children)."""
        if self.process.poll() is None or _group_alive(self.process.pid):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def redis_up() -> bool:
    try:
        return redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def redis_start() -> None:
    if redis_up():
        return
    subprocess.run(REDIS_START, check=True, capture_output=True)
    for _ in range(100):
        if redis_up():
            return
        time.sleep(0.1)
    raise AssertionError("Redis did not come back on 127.0.0.1:6379")


def redis_restart() -> None:
    """Stop the machine's Redis (no save) and start it again at once."""
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], capture_output=True)
    for _ in range(50):
        if not redis_up():
            break
        time.sleep(0.1)
    redis_start()
