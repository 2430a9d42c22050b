"""Read an iterator in the background so its reader can wait with a timeout.

A relay blocked in ``next()`` on a silent Bedrock stream can write nothing; with a
``Paced`` reader it wakes every interval (for an SSE keep-alive) or when woken (for a
drain deadline). The iterator runs in its own greenlet under gevent (gunicorn's worker)
and in a thread otherwise; its items arrive through a queue, in order.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterator

SILENCE = object()  # what ``next_items`` returns when the interval passed with nothing new
_END = object()


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def in_background(target, *args) -> None:
    """Run ``target`` in a greenlet under gevent (safe from a signal handler), else a thread."""
    if _gevent_patched():
        import gevent

        gevent.spawn(target, *args)
    else:
        threading.Thread(target=target, args=args, daemon=True).start()


class Paced:
    """Items of ``source`` read ahead by a background reader, fetched with a timeout."""

    def __init__(self, source: Iterator):
        self.source = source
        self.items: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = False
        self.failure: BaseException | None = None
        run = contextvars.copy_context().run  # log lines keep the request's id
        if _gevent_patched():
            import gevent

            self.reader = gevent.spawn(run, self._read)
            gevent.sleep(0)  # let it start: a greenlet killed before it starts never closes the source
        else:
            self.reader = threading.Thread(target=run, args=(self._read,), daemon=True)
            self.reader.start()

    def _read(self) -> None:
        try:
            for item in self.source:
                self.items.put(item)
                if self.stopping:
                    break
        except BaseException as exc:  # handed to the relay, which renders it
            self.failure = exc
        finally:
            if self.stopping:
                self.source.close()
            self.items.put(_END)

    def next_items(self, timeout: float) -> list | object:
        """Every item ready now (waiting up to ``timeout`` for the first), or SILENCE.

        Raises StopIteration at the end, or what the source raised.
        """
        get = self.items.get
        try:
            batch = [get(timeout=timeout)]
        except queue.Empty:
            return SILENCE
        try:
            while True:
                batch.append(get(block=False))
        except queue.Empty:
            pass
        ended = batch[-1] is _END
        items = [item for item in batch if item is not SILENCE and item is not _END]
        if ended:
            if items:
                self.items.put(_END)  # the end comes after the items already read
                return items
            if self.failure is not None:
                raise self.failure
            raise StopIteration
        return items or SILENCE

    def wake(self) -> None:
        """Make a waiting ``next_items`` return SILENCE now."""
        self.items.put(SILENCE)

    def close(self) -> None:
        """Stop reading and release the source (its ``finally`` blocks run)."""
        self.stopping = True
        kill = getattr(self.reader, "kill", None)
        if kill is not None:
            kill()  # GreenletExit at the read; the source's generators close on the way out
            self.source.close()
        # A thread cannot be interrupted: it closes the source after its current read.
