"""fan_out keeps input order, bounds concurrency, and fails as a whole."""

import threading
import time

import pytest

from app.fanout import fan_out


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
