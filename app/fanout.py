"""A bounded, ordered concurrent map (greenlets under gevent, threads otherwise), and its
streaming counterpart, ``fan_in``: several iterators read at once, items as they arrive."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def fan_out(work: Callable[[Item], Result], items: Sequence[Item], limit: int) -> list[Result]:
    """``work(item)`` for every item, ``limit`` at once, in item order; the first failure fails all."""
    if len(items) <= 1:
        return [work(item) for item in items]
    size = min(limit, len(items))
    # Under gunicorn's gevent worker sockets are patched and greenlets are the cheap way.
    if _gevent_patched():
        import gevent.pool

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


def _gevent_patched() -> bool:
    """Whether gevent patched sockets; gevent itself (~15 ms to import) is loaded only by whoever did."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("socket")


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


_DONE = object()


def fan_in(sources: Sequence[Iterator[Item]]) -> Iterator[tuple[int, Item]]:
    """``(index, item)`` from every source as each produces it, sources read concurrently.

    One thread per source (a greenlet under gevent's patching); the first failure fails all.
    Closing the result stops the readers at their next item and closes every source.
    """
    if len(sources) == 1:
        yield from ((0, item) for item in sources[0])
        return
    arrived: queue.Queue = queue.Queue()
    stopping = threading.Event()
    readers = [
        threading.Thread(target=_read, args=(index, source, arrived, stopping), daemon=True)
        for index, source in enumerate(sources)
    ]
    for reader in readers:
        reader.start()
    try:
        remaining = len(readers)
        while remaining:
            index, item = arrived.get()
            if item is _DONE:
                remaining -= 1
            elif isinstance(item, _Failure):
                raise item.error
            else:
                yield index, item
    finally:
        stopping.set()


class _Failure(NamedTuple):
    error: BaseException


def _read(index: int, source: Iterator, arrived: queue.Queue, stopping: threading.Event) -> None:
    try:
        for item in source:
            if stopping.is_set():
                break
            arrived.put((index, item))
    except Exception as exc:
        arrived.put((index, _Failure(exc)))
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
        arrived.put((index, _DONE))
