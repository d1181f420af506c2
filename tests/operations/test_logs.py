"""Structured logs: JSON lines carrying the run and chunk ids."""

import datetime as dt
import json
import logging
from logging.config import DictConfigurator

from tracker.observability.logs import ContextFilter, log_context, logging_config


def formatted(fmt: str, message: str, **extra) -> str:
    """A record from the pipeline's logger, through the context filter and the configured formatter."""
    formatter = DictConfigurator({}).configure_formatter(dict(logging_config(fmt=fmt, level="INFO")["formatters"][fmt]))
    record = logging.LogRecord("tracker.pipeline.chunk", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    ContextFilter().filter(record)
    return formatter.format(record)


def test_a_json_line_carries_the_ids_of_the_chunk_it_was_written_in():
    with log_context(run_id=7, chunk_id=42):
        line = json.loads(formatted("json", "chunk done", written=12))
    assert (line["run_id"], line["chunk_id"], line["written"]) == (7, 42, 12)
    assert (line["level"], line["logger"], line["message"]) == ("INFO", "tracker.pipeline.chunk", "chunk done")
    assert dt.datetime.fromisoformat(line["time"]).utcoffset() is not None  # ISO 8601 with its offset


def test_the_ids_are_dropped_when_the_block_ends():
    with log_context(run_id=7, chunk_id=42):
        pass
    line = json.loads(formatted("json", "between chunks"))
    assert "run_id" not in line and "chunk_id" not in line


def test_nested_contexts_add_to_each_other_and_explicit_values_win():
    with log_context(run_id=7), log_context(chunk_id=42):
        line = json.loads(formatted("json", "x", run_id=8))
    assert (line["run_id"], line["chunk_id"]) == (8, 42)


def test_text_lines_show_the_ids_too():
    with log_context(run_id=7, chunk_id=42):
        line = formatted("text", "chunk done")
    assert line.endswith("chunk done [run_id=7 chunk_id=42]")
