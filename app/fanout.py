"""A bounded, ordered concurrent map: greenlets under gevent, threads otherwise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import gevent.pool
from gevent import monkey

Item = TypeVar("Item")
Result = TypeVar("Result")


def fan_out(work: Callable[[Item], Result], items: Sequence[Item], limit: int) -> list[Result]:
    """``work(item)`` for every item, ``limit`` at once, in item order; the first failure fails all."""
    if len(items) <= 1:
        return [work(item) for item in items]
    size = min(limit, len(items))
    # Under gunicorn's gevent worker sockets are patched and greenlets are the cheap way.
    if monkey.is_module_patched("socket"):
        pool = gevent.pool.Pool(size)
        try:
            return [_unwrap(outcome) for outcome in pool.imap(_captured(work), items)]
        finally:
            pool.kill()
    executor = ThreadPoolExecutor(size, thread_name_prefix="embeddings")
    try:
        return list(executor.map(work, items))
    finally:
        executor.shutdown(cancel_futures=True)


def _captured(work: Callable[[Item], Result]) -> Callable[[Item], Result | BaseException]:
    """Hand a failure back as a value: gevent logs a traceback for every greenlet that raises."""

    def run(item: Item) -> Result | BaseException:
        try:
            return work(item)
        except Exception as exc:
            return exc

    return run


def _unwrap(outcome: Result | BaseException) -> Result:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
