"""A parsed workbook kept between the dry run and the commit, so confirming does not parse it again.

Reading the xlsx dominates an import (openpyxl parses some 80,000 cells a second here); the commit
still plans again from scratch — every check against the data as it is then — but from the columns the
dry run parsed. An entry is tied to the file's SHA-256 and to ``PARSER_VERSION`` and signed with an
HMAC of the SECRET_KEY: a missing, stale, foreign or tampered entry is ignored and the file is read again.
"""

from __future__ import annotations

import hashlib
import hmac
import pickle
from pathlib import Path

from django.conf import settings
from django.utils.crypto import salted_hmac

from tracker.imports.sheet import Sheet

PARSER_VERSION = b"1"
SALT = "tidu.imports.sheet_cache"


def _path(job) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "parsed" / f"{job.pk}.pickle"


def _file_digest(job) -> bytes:
    digest = hashlib.sha256(PARSER_VERSION)
    with job.file.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def store(job, sheet: Sheet) -> None:
    body = _file_digest(job) + pickle.dumps(sheet, protocol=pickle.HIGHEST_PROTOCOL)
    path = _path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(salted_hmac(SALT, body, algorithm="sha256").digest() + body)


def load(job) -> Sheet | None:
    path = _path(job)
    if not path.exists():
        return None
    content = path.read_bytes()
    mac, body = content[:32], content[32:]
    if not hmac.compare_digest(mac, salted_hmac(SALT, body, algorithm="sha256").digest()):
        return None
    if body[:32] != _file_digest(job):
        return None
    # Signed by this deployment's SECRET_KEY and written by it: not data from outside.
    return pickle.loads(body[32:])  # noqa: S301


def drop(job) -> None:
    _path(job).unlink(missing_ok=True)
