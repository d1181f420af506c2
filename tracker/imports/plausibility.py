"""Plausibility bounds for imported figures, read from ``fixtures/plausibility.yaml`` (data, not code)."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from django.conf import settings


@functools.cache
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def bounds(section: str) -> dict:
    return _load(str(Path(settings.BASE_DIR) / "fixtures" / "plausibility.yaml")).get(section, {})
