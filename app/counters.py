"""The two shared records the ``limits`` library does not keep: parallel leases and daily usage.

``RedisCounters`` keeps them in the same Redis as the rate-limit windows, so every worker
and host sees one count; ``MemoryCounters`` is the per-process stand-in for ``memory://``.

- A lease is a member of a sorted set scored by its start time; one that is never released
  (a worker killed mid-stream) drops out after ``LEASE_SECONDS`` instead of holding a slot forever.
- Usage is a hash per key and UTC day: ``requests`` and ``tokens`` totals, each token type, and
  ``<field>:<model id>`` per model, kept for a few days.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict

from app.exchange import Usage

LEASE_SECONDS = 900  # longer than any stream is expected to last
USAGE_DAYS_KEPT = 3
TOKEN_TYPES = ("input", "output", "cache_read", "cache_write")

_ACQUIRE = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1] - ARGV[3])
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('zadd', KEYS[1], ARGV[1], ARGV[4])
redis.call('expire', KEYS[1], ARGV[3])
return 1
"""


def usage_fields(model: str, usage: Usage | None) -> dict[str, int]:
    """The (non-zero) hash increments one request adds."""
    counts = {"requests": 1, f"requests:{model}": 1}
    if usage is not None and usage.total:
        counts["tokens"] = usage.total
        for name in TOKEN_TYPES:
            if value := getattr(usage, name):
                counts[name] = counts[f"{name}:{model}"] = value
    return counts


class RedisCounters:
    def __init__(self, client, prefix: str):
        self._client = client
        self._prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)

    def acquire(self, name: str, limit: int) -> str | None:
        """A lease id, or None when ``limit`` leases are already held."""
        lease = uuid.uuid4().hex
        taken = self._acquire(
            keys=[self._key("leases", name)], args=[time.time(), limit, LEASE_SECONDS, lease]
        )
        return lease if taken else None

    def release(self, name: str, lease: str) -> None:
        self._client.zrem(self._key("leases", name), lease)

    def record(self, name: str, day: str, model: str, usage: Usage | None) -> None:
        key = self._key("usage", name, day)
        pipe = self._client.pipeline(transaction=False)
        for field, amount in usage_fields(model, usage).items():
            pipe.hincrby(key, field, amount)
        pipe.expire(key, USAGE_DAYS_KEPT * 86400)
        pipe.execute()

    def tokens_on(self, name: str, day: str) -> int:
        return int(self._client.hget(self._key("usage", name, day), "tokens") or 0)

    def usage_on(self, name: str, day: str) -> dict[str, int]:
        raw = self._client.hgetall(self._key("usage", name, day))
        return {field.decode(): int(value) for field, value in raw.items()}

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))


class MemoryCounters:
    """One process's counts, for ``memory://``; usage is kept for the current day only."""

    def __init__(self):
        self._lock = threading.Lock()
        self._leases: dict[str, int] = defaultdict(int)
        self._day = ""
        self._usage: dict[str, dict[str, int]] = defaultdict(dict)

    def acquire(self, name: str, limit: int) -> str | None:
        with self._lock:
            if self._leases[name] >= limit:
                return None
            self._leases[name] += 1
        return name

    def release(self, name: str, lease: str) -> None:
        with self._lock:
            self._leases[name] = max(0, self._leases[name] - 1)

    def record(self, name: str, day: str, model: str, usage: Usage | None) -> None:
        with self._lock:
            if day != self._day:
                self._day = day
                self._usage.clear()
            counts = self._usage[name]
            for field, amount in usage_fields(model, usage).items():
                counts[field] = counts.get(field, 0) + amount

    def tokens_on(self, name: str, day: str) -> int:
        return self.usage_on(name, day).get("tokens", 0)

    def usage_on(self, name: str, day: str) -> dict[str, int]:
        return dict(self._usage.get(name, {})) if day == self._day else {}
