"""The migrations apply on the embedded SQLite default as well, which the quickstart runs on while the
suite runs on PostgreSQL: an index SQLite cannot build (NULLS LAST in its keys, migration 0035) once
broke only the quickstart."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_migration_applies_on_sqlite_and_leaves_nothing_to_make(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'quickstart.sqlite3'}", "DEBUG": "1"}
    for command in (["migrate", "--noinput", "-v", "0"], ["makemigrations", "--check", "--dry-run"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
