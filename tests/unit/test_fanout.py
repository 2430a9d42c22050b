"""fan_out keeps input order, bounds concurrency, and fails as a whole; fan_in interleaves."""

import threading
import time

import pytest

from app.fanout import fan_in, fan_out


def test_results_come_back_in_input_order_even_when_early_items_finish_last():
    def slow_first(n: int) -> int:
        time.sleep(0.05 if n == 0 else 0)
        return n * 10

    assert fan_out(slow_first, [0, 1, 2, 3], limit=4) == [0, 10, 20, 30]


def test_no_more_than_limit_items_run_at_once():
    running, peak, lock = 0, 0, threading.Lock()

    def track(_: int) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    fan_out(track, list(range(12)), limit=3)
    assert peak == 3


def test_the_first_failure_fails_the_whole_map():
    def fail_on_two(n: int) -> int:
        if n == 2:
            raise ValueError("item 2")
        return n

    with pytest.raises(ValueError, match="item 2"):
        fan_out(fail_on_two, [0, 1, 2, 3], limit=2)


def _paced(name: str, delays: list[float], closed: list[str]):
    try:
        for k, delay in enumerate(delays):
            time.sleep(delay)
            yield f"{name}{k}"
    finally:
        closed.append(name)


def test_fan_in_yields_items_as_they_arrive_tagged_with_their_source():
    closed: list[str] = []
    sources = [_paced("a", [0.0, 0.2], closed), _paced("b", [0.1], closed)]
    assert list(fan_in(sources)) == [(0, "a0"), (1, "b0"), (0, "a1")]
    assert sorted(closed) == ["a", "b"]


def test_fan_in_fails_as_a_whole_when_a_source_fails():
    def broken():
        yield "x"
        raise ValueError("upstream broke")

    closed: list[str] = []
    with pytest.raises(ValueError, match="upstream broke"):
        list(fan_in([broken(), _paced("b", [0.05, 0.05], closed)]))


def test_closing_fan_in_stops_and_closes_every_source():
    closed: list[str] = []
    merged = fan_in([_paced("a", [0.0, 0.05, 0.05], closed), _paced("b", [0.0, 0.05, 0.05], closed)])
    next(merged)
    merged.close()
    deadline = time.monotonic() + 2
    while len(closed) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(closed) == ["a", "b"]
