"""The ``limits`` library over the rate-limit store: requests in sliding windows, tokens in fixed ones.

Its own module because ``limits`` imports ``redis`` and its asyncio client (tens of
milliseconds): ``app.rate_limits`` imports it when a Redis store is configured, or with
``memory://`` when a key with ``rpm`` or ``tpm`` first calls, not at every worker start.
"""

from __future__ import annotations

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter
from redis import RedisError
from redis.backoff import NoBackoff
from redis.retry import Retry

STORE_ERRORS = (RedisError, StorageError)
# Redis must answer fast or be skipped: a store outage should cost a request milliseconds.
# A value in the URI's query string (?socket_timeout=...) wins over these.
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


class Windows:
    """The store and the two window strategies on it, for windows of ``seconds``."""

    def __init__(self, uri: str, prefix: str, seconds: int):
        options = {} if uri.startswith("memory") else {**REDIS_OPTIONS, "retry": Retry(NoBackoff(), 1)}
        self.storage = storage_from_string(uri, key_prefix=prefix, **options)
        self.requests = SlidingWindowCounterRateLimiter(self.storage)
        self.tokens = FixedWindowRateLimiter(self.storage)
        self.seconds = seconds

    def per_window(self, amount: int) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(amount, self.seconds)
