"""The in-process lease and usage counts behind ``memory://``."""

from app.counters import MemoryCounters, usage_fields
from app.exchange import Usage


def test_a_request_adds_its_totals_and_its_models_non_zero_counts():
    assert usage_fields("m", Usage(input=5, output=7, cache_read=0, cache_write=2)) == {
        "requests": 1,
        "requests:m": 1,
        "tokens": 14,
        "input": 5,
        "input:m": 5,
        "output": 7,
        "output:m": 7,
        "cache_write": 2,
        "cache_write:m": 2,
    }
    assert usage_fields("m", None) == {"requests": 1, "requests:m": 1}


def test_usage_is_kept_for_the_current_day_only():
    counters = MemoryCounters()
    counters.record("team", "2026-11-29", "m", Usage(input=3))
    counters.record("team", "2026-11-30", "m", Usage(output=4))
    assert counters.usage_on("team", "2026-11-29") == {}
    assert counters.usage_on("team", "2026-11-30") == {
        "requests": 1,
        "requests:m": 1,
        "tokens": 4,
        "output": 4,
        "output:m": 4,
    }
    assert counters.tokens_on("team", "2026-11-30") == 4


def test_leases_are_refused_at_the_limit_and_freed_on_release():
    counters = MemoryCounters()
    first, second = counters.acquire("team", 2), counters.acquire("team", 2)
    assert counters.acquire("team", 2) is None
    counters.release("team", first)
    assert counters.acquire("team", 2) is not None
    assert second is not None
