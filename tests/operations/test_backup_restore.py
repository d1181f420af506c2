"""Backup and restore as docs/operations.md gives them: pg_dump of a database that has run its
nightly, pg_restore into a fresh database, and the next nightly run there writes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tracker.models import EligibilityResult, EvaluationRun
from tracker.tasks import nightly_recompute_task

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]

# Run in the restored database by a separate process, the way an operator would after a restore.
NEXT_NIGHTLY = """
import json
from tracker.models import EligibilityResult, EvaluationRun
from tracker.tasks import nightly_recompute_task
nightly_recompute_task()
run = EvaluationRun.objects.filter(kind="nightly").latest("created_at")
print(json.dumps({"status": run.status, "changed": run.changed, "inputs_changed": run.inputs_changed,
                  "results": EligibilityResult.objects.count(), "nightly_runs": EvaluationRun.objects.filter(kind="nightly").count()}))
"""


def pg_args() -> list[str]:
    db = settings.DATABASES["default"]
    return ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]


@pytest.fixture
def restore_target():
    """A database name no other checkout or test worker can be using, dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.fail("backup and restore are PostgreSQL's: run the suite on PostgreSQL (make test)")
    name = f"{settings.DATABASES['default']['NAME']}_restore_{os.getpid()}"[:63]
    subprocess.run(["dropdb", *pg_args(), "--if-exists", name], check=True, capture_output=True)
    yield name
    subprocess.run(["dropdb", *pg_args(), "--if-exists", name], check=True, capture_output=True)


def test_a_restored_dump_needs_nothing_rewritten_by_the_next_nightly(restore_target, tmp_path, settings):
    settings.CELERY_BROKER_URL = ""  # in-process, as in the restored process below
    devnull = open("/dev/null", "w")
    call_command("bootstrap", stdout=devnull)
    call_command("generate_demo", enterprises=150, seed=9, stdout=devnull)
    nightly_recompute_task()
    first = EvaluationRun.objects.get(kind="nightly")
    assert first.status == EvaluationRun.Status.SUCCEEDED and first.changed > 0
    results = EligibilityResult.objects.count()

    dump = tmp_path / "tidu.dump"
    source = settings.DATABASES["default"]["NAME"]
    subprocess.run(["pg_dump", *pg_args(), "--format=custom", "--file", str(dump), source], check=True)
    subprocess.run(["createdb", *pg_args(), restore_target], check=True)
    subprocess.run(["pg_restore", *pg_args(), "--no-owner", "--dbname", restore_target, str(dump)], check=True)

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
        f"{db.get('PORT') or 5432}/{restore_target}",
        "CELERY_BROKER_URL": "",
        "LOG_FORMAT": "text",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", NEXT_NIGHTLY], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    after = json.loads(done.stdout.strip().splitlines()[-1])
    # A new run (the restored ledger closed the first one), reading every enterprise's digest and
    # finding nothing to re-read or rewrite.
    assert after == {"status": "succeeded", "changed": 0, "inputs_changed": 0, "results": results, "nightly_runs": 2}
