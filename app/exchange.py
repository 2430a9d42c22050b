"""One API request as the gateway saw it: what was asked, what Bedrock answered, what it cost.

Views and the stream relay fill the record in while the request runs; everything that
reports on a request (access log, metrics, per-key limits and usage) reads it once, when
the response closes: after the last byte of a stream, or when the client goes away. No
translator parses responses a second time to find tokens.

The record holds identities and counts only, never a prompt, an answer or a key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, Response, g, request

log = logging.getLogger(__name__)

Closer = Callable[["Exchange"], None]


@dataclass
class Usage:
    """Token counts as Bedrock reported them; ``input`` excludes cache reads and writes."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_write


@dataclass
class Exchange:
    """The facts of one request, gathered as it runs."""

    method: str
    path: str
    route: str | None = None  # the URL rule, e.g. "/v1/chat/completions"
    request_id: str | None = None
    trace_id: str | None = None  # the ALB's X-Amzn-Trace-Id Root
    started: float = field(default_factory=time.monotonic)
    operation: str | None = None  # chat, embeddings, responses, messages, count_tokens, models
    key_name: str | None = None
    model: str | None = None  # as the client asked
    resolved_model: str | None = None  # the catalogue id it resolved to
    response_model: str | None = None  # the id Bedrock answered for
    usage: Usage | None = None  # None until Bedrock reports a count
    # How to count a stream's tokens offline when it ends before Bedrock's count arrives
    # (the client left, or an error cut it): set by the Bedrock call, run only then.
    estimate_usage: Callable[[], Usage] | None = field(default=None, repr=False)
    usage_estimated: bool = False
    finish_reason: str | None = None  # Bedrock's stopReason (end_turn, tool_use, max_tokens...)
    upstream_request_id: str | None = None
    attempts: int | None = None  # Bedrock calls made (None: the request never reached Bedrock)
    retry_error: str | None = None  # the error of the last failed attempt, when any failed
    status: int | None = None
    streamed: bool = False
    first_byte_at: float | None = None
    first_token_at: float | None = None
    ended_at: float | None = None
    disconnected: bool = False
    error_type: str | None = None
    limit_store_errors: int = 0  # failed calls to the rate-limit store (served anyway when fail-open)
    _closers: list[Closer] = field(default_factory=list, repr=False)
    _closed: bool = field(default=False, repr=False)

    def describe(self, operation: str, model: str | None = None, resolved_model: str | None = None) -> None:
        """What the request is, once its view knows (the model as asked, and as resolved)."""
        self.operation = operation
        self.model = model
        self.resolved_model = resolved_model

    def record_usage(
        self, input: int = 0, output: int = 0, cache_read: int = 0, cache_write: int = 0
    ) -> None:
        """Bedrock's counts for this request (a later report replaces an earlier one)."""
        self.usage = Usage(input, output, cache_read, cache_write)

    def record_call(self, attempts: int, upstream_request_id: str | None) -> None:
        """One more Bedrock call (of several, for batched embeddings): attempts add up."""
        self.attempts = (self.attempts or 0) + attempts
        self.upstream_request_id = upstream_request_id

    def mark_first_byte(self) -> None:
        if self.first_byte_at is None:
            self.first_byte_at = time.monotonic()

    def mark_first_token(self) -> None:
        """The first content, reasoning or tool delta of an answer (not a role-only chunk)."""
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()

    def on_close(self, closer: Closer) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        """Run every closer once; one closer's failure neither stops the others nor the response."""
        if self._closed:
            return
        self._closed = True
        self.ended_at = time.monotonic()
        if self.usage is None and self.streamed and self.estimate_usage is not None:
            self._estimate()
        for closer in self._closers:
            try:
                closer(self)
            except Exception:
                log.exception("a request closer failed")

    def _estimate(self) -> None:
        try:
            self.usage = self.estimate_usage()
            self.usage_estimated = True
        except Exception:
            log.exception("could not count the tokens of an unfinished stream")


def current() -> Exchange:
    """This request's record (created on first use)."""
    state = g._get_current_object()  # one context lookup: asked several times a request
    exchange = state.get("exchange")
    if exchange is None:
        exchange = state.exchange = Exchange(method=request.method, path=request.path)
    return exchange


def init_app(app: Flask) -> None:
    """Open a record per request; close it when the WSGI server closes the response."""

    @app.before_request
    def open_exchange() -> None:
        exchange = current()
        exchange.route = request.url_rule.rule if request.url_rule is not None else None

    @app.after_request
    def close_with_response(response: Response) -> Response:
        exchange = current()
        exchange.route = request.url_rule.rule if request.url_rule is not None else None
        exchange.status = response.status_code
        if not response.is_streamed:
            exchange.mark_first_byte()
        response.call_on_close(exchange.close)
        return response
