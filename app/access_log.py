"""One access line per request, written when the response closes (after a stream's last byte).

The line holds identities, counts and timings from the request's ``Exchange``, never a
key, a header value or content. Health, metrics and docs requests go out at DEBUG, so
scrapes and load-balancer checks do not drown the log.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, request

from app.errors import request_id
from app.exchange import Exchange
from app.exchange import current as current_exchange
from app.log_format import request_id_var

log = logging.getLogger("app.access")

QUIET_ROUTES = frozenset({"/", "/health", "/health/ready", "/metrics", "/openapi.json"})
_ALB_ROOT = re.compile(r"(?:^|;)\s*Root=(1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24})(?:;|$)")


def alb_trace_id(header: str | None) -> str | None:
    """The ``Root`` of an ALB's ``X-Amzn-Trace-Id``, when it has the documented shape."""
    match = _ALB_ROOT.search(header or "")
    return match.group(1) if match else None


def _ms(start: float, end: float | None) -> float | None:
    return None if end is None else round((end - start) * 1000, 1)


def access_fields(exchange: Exchange) -> dict:
    """The access line's fields; those that do not apply are None."""
    usage = exchange.usage
    return {
        "event": "request",
        "request_id": exchange.request_id,
        "trace_id": exchange.trace_id,
        "method": exchange.method,
        "route": exchange.route,
        "status": exchange.status,
        "duration_ms": _ms(exchange.started, exchange.ended_at),
        "ttfb_ms": _ms(exchange.started, exchange.first_byte_at),
        "ttft_ms": _ms(exchange.started, exchange.first_token_at),
        "key_name": exchange.key_name,
        "operation": exchange.operation,
        "model": exchange.model,
        "resolved_model": exchange.resolved_model,
        "input_tokens": usage and usage.input,
        "output_tokens": usage and usage.output,
        "cache_read_tokens": usage and usage.cache_read,
        "cache_write_tokens": usage and usage.cache_write,
        "finish_reason": exchange.finish_reason,
        "upstream_request_id": exchange.upstream_request_id,
        "attempts": exchange.attempts,
        "disconnected": exchange.disconnected,
        "error_type": exchange.error_type,
    }


def level_of(exchange: Exchange) -> int:
    if is_quiet(exchange.route):
        return logging.DEBUG
    status = exchange.status or 500
    return logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO


def is_quiet(route: str | None) -> bool:
    return route is not None and (route in QUIET_ROUTES or route.startswith("/docs"))


def write_access_line(exchange: Exchange) -> None:
    level = level_of(exchange)
    if log.isEnabledFor(level):
        log.log(level, "request", extra=access_fields(exchange))


def init_app(app: Flask) -> None:
    """Name each request (id, trace) for every log line; write its access line on close."""

    @app.before_request
    def name_request() -> None:
        request_id_var.set(request_id())

    @app.after_request
    def log_on_close(response: Response) -> Response:
        exchange = current_exchange()
        exchange.request_id = request_id()
        exchange.trace_id = alb_trace_id(request.headers.get("X-Amzn-Trace-Id"))
        exchange.on_close(write_access_line)
        return response
