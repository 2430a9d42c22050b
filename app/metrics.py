"""Prometheus metrics: OpenTelemetry's GenAI instruments plus the gateway's own counters.

Names follow the OpenTelemetry GenAI semantic conventions v1.37.0 (status Development)
in their Prometheus form (dots to underscores, ``_seconds`` for seconds, no unit for
tokens), with the buckets those conventions recommend. Every label value is bounded:
models are catalogue ids or ``_OTHER``, routes are URL rules, keys are key names.

Under several gunicorn workers, prometheus_client's multiprocess mode sums every
worker's files (gunicorn.conf.py sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker
imports prometheus_client, wipes it once at start and marks exited workers). Each
``/metrics`` scrape reads them through a fresh registry. All values are recorded from
the request's ``Exchange`` when its response closes.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable

from flask import Flask, Response, request

from app.errors import AuthenticationError
from app.exchange import Exchange
from app.exchange import current as current_exchange
from app.settings import Settings

SEMCONV_VERSION = "1.37.0"
PROVIDER = "aws.bedrock"
OTHER = "_OTHER"
UNMATCHED_ROUTE = "_unmatched"
# The OpenTelemetry operation each dialect's request is (Responses and Messages are chat).
OPERATIONS = {"chat": "chat", "responses": "chat", "messages": "chat", "embeddings": "embeddings"}

TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
TPOT_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)

GENAI_LABELS = (
    "gen_ai_operation_name",
    "gen_ai_provider_name",
    "gen_ai_request_model",
    "gen_ai_response_model",
)
_SEMCONV = f"(OpenTelemetry GenAI semantic conventions v{SEMCONV_VERSION})"


class Metrics:
    """The instruments, and how one closed request is recorded in them."""

    def __init__(self, is_known_model: Callable[[str], bool]):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.is_known_model = is_known_model

        def histogram(name: str, doc: str, labels: tuple[str, ...], buckets: tuple) -> Histogram:
            return Histogram(name, f"{doc} {_SEMCONV}", labels, buckets=buckets, registry=self.registry)

        self.token_usage = histogram(
            "gen_ai_client_token_usage",
            "Tokens used per operation, by gen_ai_token_type (input, output)",
            (*GENAI_LABELS, "gen_ai_token_type"),
            TOKEN_BUCKETS,
        )
        self.request_duration = histogram(
            "gen_ai_server_request_duration_seconds",
            "Time from request to last byte, for requests that reached Bedrock",
            (*GENAI_LABELS, "error_type"),
            DURATION_BUCKETS,
        )
        self.time_to_first_token = histogram(
            "gen_ai_server_time_to_first_token_seconds",
            "Time to the first content, reasoning or tool delta of a successful stream",
            GENAI_LABELS,
            TTFT_BUCKETS,
        )
        self.time_per_output_token = histogram(
            "gen_ai_server_time_per_output_token_seconds",
            "(duration - time to first token) / max(output tokens - 1, 1), per successful stream",
            GENAI_LABELS,
            TPOT_BUCKETS,
        )
        self.requests = Counter(
            "bedrock_gateway_requests",
            "API requests by route template, method, status code and key name",
            ("route", "method", "status_code", "key_name"),
            registry=self.registry,
        )
        self.tokens = Counter(
            "bedrock_gateway_tokens",
            "Tokens Bedrock counted, by key name, model and type (input, output, cache_read, cache_write)",
            ("key_name", "gen_ai_request_model", "gen_ai_token_type"),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "bedrock_gateway_requests_in_flight",
            "Requests being served, streams included",
            ("route",),
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self.retries = Counter(
            "bedrock_gateway_upstream_retries",
            "Bedrock calls retried by the gateway's client, by the error that caused the retry",
            ("error_type",),
            registry=self.registry,
        )

    def model_label(self, model_id: str | None) -> str:
        return model_id if model_id and self.is_known_model(model_id) else OTHER

    def record(self, exchange: Exchange) -> None:
        """Everything one closed request adds to the metrics."""
        route = exchange.route or UNMATCHED_ROUTE
        key = exchange.key_name or ""
        self.in_flight.labels(route).dec()
        self.requests.labels(route, exchange.method, str(exchange.status or 500), key).inc()
        request_model = self.model_label(exchange.resolved_model)
        usage = exchange.usage
        if usage is not None:
            for kind, count in (
                ("input", usage.input),
                ("output", usage.output),
                ("cache_read", usage.cache_read),
                ("cache_write", usage.cache_write),
            ):
                if count:
                    self.tokens.labels(key, request_model, kind).inc(count)
        if exchange.attempts and exchange.attempts > 1:
            self.retries.labels(exchange.retry_error or OTHER).inc(exchange.attempts - 1)
        operation = OPERATIONS.get(exchange.operation or "")
        if operation is None or exchange.attempts is None:
            return  # refused before Bedrock: counted as a request only
        self._record_genai(exchange, operation, request_model)

    def _record_genai(self, exchange: Exchange, operation: str, request_model: str) -> None:
        response_model = self.model_label(exchange.response_model or exchange.resolved_model)
        labels = (operation, PROVIDER, request_model, response_model)
        duration = (exchange.ended_at or exchange.started) - exchange.started
        failed = exchange.error_type is not None or (exchange.status or 500) >= 400
        self.request_duration.labels(*labels, exchange.error_type or "" if failed else "").observe(duration)
        if failed:
            return
        usage = exchange.usage
        if usage is not None:
            self.token_usage.labels(*labels, "input").observe(
                usage.input + usage.cache_read + usage.cache_write
            )
            if operation == "chat":
                self.token_usage.labels(*labels, "output").observe(usage.output)
        if exchange.streamed and exchange.first_token_at is not None and not exchange.disconnected:
            ttft = exchange.first_token_at - exchange.started
            self.time_to_first_token.labels(*labels).observe(ttft)
            output = usage.output if usage is not None else 0
            self.time_per_output_token.labels(*labels).observe((duration - ttft) / max(output - 1, 1))

    def exposition(self) -> tuple[bytes, str]:
        """Every worker's values (multiprocess mode) or this process's, as text format 0.0.4."""
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess
        from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = self.registry
        return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4


def init_app(app: Flask, settings: Settings, is_known_model: Callable[[str], bool]) -> None:
    """``GET /metrics`` and the per-request recording, when METRICS_ENABLED."""
    if not settings.metrics_enabled:
        return
    metrics = Metrics(is_known_model)
    app.extensions["metrics"] = metrics
    token = settings.metrics_token.encode()

    @app.before_request
    def count_in_flight() -> None:
        exchange = current_exchange()
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        metrics.in_flight.labels(route).inc()
        exchange.route = exchange.route or route
        exchange.on_close(metrics.record)

    @app.get("/metrics")
    def scrape() -> Response:
        if token and not _bearer_matches(token):
            raise AuthenticationError("This endpoint needs 'Authorization: Bearer <METRICS_TOKEN>'.")
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)


def _bearer_matches(token: bytes) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token)
