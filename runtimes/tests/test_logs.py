"""Structured logs: one JSON object per line with time, level, logger, message, extra fields and exceptions."""

from __future__ import annotations

import logging

import orjson
from modelplane.runtime import logs


def test_json_lines() -> None:
    formatter = logs.JsonFormatter()
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "model %s failed", ("iris",), None)
    record.model = "iris"
    document = orjson.loads(formatter.format(record))
    assert document["level"] == "warning"
    assert document["message"] == "model iris failed"
    assert document["model"] == "iris"
    assert document["time"].endswith("Z")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "oops", (), sys.exc_info())
    assert "ValueError: boom" in orjson.loads(formatter.format(record))["exception"]
