"""Structured logs: every line a pipeline step writes carries the run and chunk it belongs to.

The ids travel in a context variable set around a chunk (or a task), and a logging filter copies
them onto each record, so the JSON formatter prints them as fields and a plain-text line shows them
too. Celery's own lines inside a chunk task get them as well (the task sets the context).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("tidu_log_context", default=None)


@contextmanager
def log_context(**ids: int | str | None) -> Iterator[None]:
    """Attach ``ids`` (run_id, chunk_id, …) to every log record written inside the block."""
    token = _context.set({**(_context.get() or {}), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def context_ids() -> dict:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Copies the current run/chunk ids onto the record (explicit ``extra`` values win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter with ISO 8601 times carrying their UTC offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """The plain-text format for development: the ids, when present, follow the message."""

    IDS = ("run_id", "chunk_id")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{key}={getattr(record, key)}" for key in self.IDS if hasattr(record, key))
        return f"{line} [{ids}]" if ids else line


def logging_config(*, fmt: str, level: str) -> dict:
    """The LOGGING setting: JSON lines on stdout (``fmt="json"``) or plain text."""
    formatters = {
        "json": {
            "()": "tracker.observability.logs.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
        },
        "text": {
            "()": "tracker.observability.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "tracker.observability.logs.ContextFilter"}},
        "formatters": {fmt: formatters[fmt]},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        # WeasyPrint logs every layout step, fontTools every subset, at INFO: a PDF would write dozens of lines.
        "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
    }
