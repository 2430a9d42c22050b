"""Per-key limits, checked before Bedrock is called and charged when the response closes.

For a key with limits, every model call (a POST to the API) is admitted in this order:

1. ``tokens_per_day``: is today's (UTC) budget already spent? 429 ``insufficient_quota``
   with ``x-should-retry: false``, so the SDKs stop retrying.
2. ``tpm``: is this minute's token window already spent? 429 ``rate_limit_exceeded``.
3. ``rpm``: count the request in a sliding window; over it, 429 ``rate_limit_exceeded``.
4. ``max_parallel``: take a lease, released when the response closes (a client disconnect
   included); none free, 429 with ``Retry-After: 1``.

Tokens are known only afterwards: when the response closes, Bedrock's count (input +
output + cache reads and writes; for an abandoned stream, the offline estimate) is charged
to the ``tpm`` window with ``limits``' fixed window, whose ``hit`` always counts (its
sliding and moving windows silently drop a charge that would cross the limit), and to the
day's usage record, which is also the daily budget. So the request that crosses a token
limit completes, and the next one is refused.

The store is ``RATE_LIMIT_STORAGE_URI``: ``memory://`` (one process) or Redis (every worker
and host). When it cannot be reached, ``RATE_LIMIT_FAIL_OPEN`` decides: serve (a warning
and a count on the request's record) or answer 503 ``rate_limit_store_unavailable``.
A Redis store is opened at start; ``memory://`` opens ``limits``' windows (``app.rate_windows``)
when a key with ``rpm`` or ``tpm`` first calls.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, g, request

from app.counters import TOKEN_TYPES, MemoryCounters, RedisCounters
from app.errors import InsufficientQuotaError, RateLimitError, RateLimitStoreUnavailableError
from app.exchange import Exchange
from app.exchange import current as current_exchange
from app.keys import ApiKey, current_key
from app.settings import Settings

if TYPE_CHECKING:
    from app.rate_windows import Windows

log = logging.getLogger(__name__)

EXTENSION = "rate_limits"
PREFIX = "bedrock-gateway"
# Token counting is free, as on Anthropic's API: not a model call for limits or usage.
UNMETERED_ENDPOINT_SUFFIX = ".count_tokens"
UNRECORDED_OPERATIONS = frozenset({"models", "count_tokens"})


def duration(seconds: float) -> str:
    """OpenAI's rate-limit reset format: ``12ms``, ``1s``, ``6m0s``, ``1h2m3s``."""
    millis = max(0, math.ceil(seconds * 1000))
    if millis < 1000:
        return f"{millis}ms"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{secs}"
    return f"{minutes}m{secs}" if minutes else secs


def retry_headers(seconds: float) -> dict[str, str]:
    """``Retry-After`` (whole seconds, rounded up) and the exact ``retry-after-ms`` the SDKs prefer."""
    millis = max(1, math.ceil(seconds * 1000))
    return {"Retry-After": str(math.ceil(millis / 1000)), "retry-after-ms": str(millis)}


class Limiter:
    """Every key's limits and usage, in one store shared by whoever points at it."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time):
        self.uri = settings.rate_limit_storage_uri
        self.fail_open = settings.rate_limit_fail_open
        self.window = settings.rate_limit_window_seconds
        self.clock = clock
        self._day_number, self._day = -1, ""
        self._windows: Windows | None = None
        self._opening = threading.Lock()
        # What a store failure raises; nothing before the store is opened.
        self.store_errors: tuple[type[Exception], ...] = ()
        self.counters = (
            MemoryCounters()
            if self.uri.startswith("memory")
            else RedisCounters(self.windows.storage.get_connection(), PREFIX)
        )

    @property
    def windows(self) -> Windows:
        """``limits``' store and windows, opened on first use."""
        if self._windows is None:
            with self._opening:
                if self._windows is None:
                    from app.rate_windows import STORE_ERRORS, Windows

                    self.store_errors = STORE_ERRORS
                    self._windows = Windows(self.uri, PREFIX, self.window)
        return self._windows

    def today(self) -> str:
        """The UTC date, formatted once a day."""
        day_number = int(self.clock() // 86400)
        if day_number != self._day_number:
            self._day_number = day_number
            self._day = datetime.fromtimestamp(day_number * 86400, UTC).strftime("%Y-%m-%d")
        return self._day

    def seconds_to_midnight(self) -> float:
        now = self.clock()
        return 86400 - now % 86400

    def admit(self, key: ApiKey, exchange: Exchange) -> dict[str, str]:
        """Refuse a spent budget or window, count the request, take a lease; the headers to send."""
        exchange.on_close(lambda closed: self.settle(key, closed))
        if not key.has_limits:
            return {}
        try:
            headers = self._check_tokens(key)
            if key.rpm:
                headers.update(self._count_request(key, headers))
            if key.max_parallel:
                self._lease(key, exchange, headers)
            return headers
        except self.store_errors as exc:
            self._store_failed(exchange, exc, "checking the limits of")
            if not self.fail_open:
                raise RateLimitStoreUnavailableError(
                    "The rate-limit store is unavailable; try again shortly.", retry_after=1
                ) from exc
            return {}

    def _check_tokens(self, key: ApiKey) -> dict[str, str]:
        headers: dict[str, str] = {}
        if key.tokens_per_day:
            used = self.counters.tokens_on(key.name, self.today())
            reset = self.seconds_to_midnight()
            if not key.tpm:
                headers.update(_window_headers("tokens", key.tokens_per_day, used, reset))
            if used >= key.tokens_per_day:
                raise InsufficientQuotaError(
                    f"You exceeded the daily token budget of key '{key.name}': limit "
                    f"{key.tokens_per_day}, used {used}. It renews at 00:00 UTC.",
                    headers={**headers, "x-should-retry": "false"},
                )
        if key.tpm:
            windows = self.windows
            window_key = windows.per_window(key.tpm).key_for(key.name, "tokens")
            used = windows.storage.get(window_key)
            reset = windows.storage.get_expiry(window_key) - self.clock() if used else 0.0
            headers.update(_window_headers("tokens", key.tpm, used, reset))
            if used >= key.tpm:
                raise _limited(key, "tokens", key.tpm, used, reset, headers)
        return headers

    def _count_request(self, key: ApiKey, headers: dict[str, str]) -> dict[str, str]:
        windows = self.windows
        item = windows.per_window(key.rpm)
        allowed = windows.requests.hit(item, key.name, "requests")
        stats = windows.requests.get_window_stats(item, key.name, "requests")
        reset = max(0.0, stats.reset_time - self.clock())
        used = key.rpm - stats.remaining
        counted = _window_headers("requests", key.rpm, used, reset)
        if not allowed:
            raise _limited(key, "requests", key.rpm, used, reset, {**headers, **counted})
        return counted

    def _lease(self, key: ApiKey, exchange: Exchange, headers: dict[str, str]) -> None:
        lease = self.counters.acquire(key.name, key.max_parallel)
        if lease is None:
            raise _rate_limit_error(
                f"Too many requests in flight on key '{key.name}': limit {key.max_parallel}.",
                "requests",
                {**headers, **retry_headers(1)},
            )
        exchange.on_close(lambda closed: self._release(key, lease, closed))

    def _release(self, key: ApiKey, lease: str, exchange: Exchange) -> None:
        try:
            self.counters.release(key.name, lease)
        except self.store_errors as exc:
            self._store_failed(exchange, exc, "releasing a parallel lease of")

    def settle(self, key: ApiKey, exchange: Exchange) -> None:
        """After the response: charge its tokens and record the day's usage."""
        usage = exchange.usage
        model = exchange.resolved_model or exchange.model
        try:
            if key.tpm and usage is not None and usage.total:
                windows = self.windows
                windows.tokens.hit(windows.per_window(key.tpm), key.name, "tokens", cost=usage.total)
            if model is not None and exchange.operation not in UNRECORDED_OPERATIONS:
                self.counters.record(key.name, self.today(), model, usage)
        except self.store_errors as exc:
            self._store_failed(exchange, exc, "charging")

    def usage(self, key: ApiKey) -> dict:
        """``GET /v1/usage``: the key's own usage today, its limits and what remains."""
        day = self.today()
        counts = self.counters.usage_on(key.name, day)
        used = counts.get("tokens", 0)
        return {
            "object": "usage",
            "key_name": key.name,
            "date": day,
            "requests": counts.get("requests", 0),
            "tokens": _token_counts(counts),
            "by_model": _by_model(counts),
            "limits": key.limits,
            "remaining": {"tokens_today": max(0, key.tokens_per_day - used) if key.tokens_per_day else None},
        }

    def _store_failed(self, exchange: Exchange, exc: Exception, doing: str) -> None:
        exchange.limit_store_errors += 1
        outcome = "serving anyway" if self.fail_open else "refusing"
        log.warning(
            "rate-limit store unavailable while %s key '%s' (%s: %s); %s",
            doing,
            exchange.key_name,
            type(exc).__name__,
            exc,
            outcome,
        )


def _window_headers(kind: str, limit: int, used: int, reset: float) -> dict[str, str]:
    return {
        f"x-ratelimit-limit-{kind}": str(limit),
        f"x-ratelimit-remaining-{kind}": str(max(0, limit - used)),
        f"x-ratelimit-reset-{kind}": duration(reset),
    }


def _limited(key: ApiKey, kind: str, limit: int, used: int, reset: float, headers: dict) -> RateLimitError:
    message = f"Rate limit reached for {kind} per minute on key '{key.name}': limit {limit}, used {used}."
    return _rate_limit_error(message, kind, {**headers, **retry_headers(reset)})


def _rate_limit_error(message: str, kind: str, headers: dict[str, str]) -> RateLimitError:
    error = RateLimitError(message, headers=headers)
    error.type = kind  # OpenAI's own 429s name the limit in ``type``: "requests" or "tokens"
    return error


def _token_counts(counts: dict[str, int], suffix: str = "") -> dict[str, int]:
    return {name: counts.get(name + suffix, 0) for name in TOKEN_TYPES}


def _by_model(counts: dict[str, int]) -> dict[str, dict]:
    models = sorted({field.partition(":")[2] for field in counts if field.startswith("requests:")})
    return {
        model: {"requests": counts.get(f"requests:{model}", 0), "tokens": _token_counts(counts, f":{model}")}
        for model in models
    }


def limiter() -> Limiter:
    return current_app.extensions[EXTENSION]


def enforce_limits() -> None:
    """``before_request`` on the API blueprint, after the key check: admit a model call."""
    key = current_key()
    if (
        key is None
        or request.method != "POST"
        or (request.endpoint or "").endswith(UNMETERED_ENDPOINT_SUFFIX)
    ):
        return
    g.rate_limit_headers = limiter().admit(key, current_exchange())


def expose_limit_headers(response: Response) -> Response:
    """The key's ``x-ratelimit-*`` headers on every answer to a model call, successful or not."""
    for name, value in (g.get("rate_limit_headers") or {}).items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = Limiter(settings)
