"""Log line formats: one JSON object per line (gunicorn, Lambda) or plain text (``make run``).

Standard library only, so gunicorn's master can load the formatter for its own lines
before any worker imports the app. Every line of a request carries its request id, from
a context variable the app sets when the request starts (each greenlet or thread has its
own context).
"""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar

# The id of the request being served by this greenlet (or thread), for every log line.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed in ``extra`` and is a field.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def fields_of(record: logging.LogRecord) -> dict:
    """The structured fields passed with ``extra``."""
    return {key: value for key, value in record.__dict__.items() if key not in _RECORD_ATTRIBUTES}


def timestamp(created: float) -> str:
    """RFC 3339, UTC, milliseconds."""
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "event" | "message", "request_id", ...fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": timestamp(record.created), "level": record.levelname.lower(), "logger": record.name}
        fields = fields_of(record)
        if "event" not in fields:
            line["message"] = record.getMessage()
        request_id = request_id_var.get()
        if request_id is not None:
            line["request_id"] = request_id
        line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [request id] message key=value...`` for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = fields_of(record)
        request_id = fields.get("request_id") or request_id_var.get()
        pairs = " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)
        head, _, tail = text.partition("\n")
        prefix = f"[{request_id}] " if request_id and "request_id" not in fields else ""
        line = head.replace(f" {record.name} ", f" {record.name} {prefix}", 1)
        return f"{line} {pairs}".rstrip() + (f"\n{tail}" if tail else "")


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()
