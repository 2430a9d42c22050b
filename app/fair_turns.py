"""Fair turns on a saturated gevent worker: long work steps aside so new work is served.

A gevent worker runs every request on one event loop, and each turn of the loop runs
every greenlet whose socket is ready before it looks at its sockets again. With a
thousand streams in flight a turn can last a tenth of a second, and a health check or a
new request waits behind all of it. So the expensive steps (starting a request, calling
Bedrock, relaying each batch of a stream's events) call ``take_turn()``: once the current
turn has run for ``SLICE`` seconds, the caller parks at the back of a queue. After each
turn's I/O has been served, parked greenlets resume, oldest first, for one more slice:
first the steps that start something (a request, its Bedrock call, a stream's batches
until its first text), for up to ``STARTING_SHARE`` of it, then the batches of streams
already flowing (at least one of them each turn). A request that never parks
(``/health``, ``/metrics``) is answered within about two slices however busy the worker
is; a new request reaches its first byte ahead of the batches of running streams, which
still get a third of every slice and whatever the new requests leave.

Outside gevent (threads, Lambda) nothing parks: the operating system schedules threads.
``WORKER_TURN_MS`` sets the slice; 0 turns parking off.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

SLICE = 0.003  # seconds of one turn before expensive steps park (``taking_turns`` sets it)
# Requests that are cheap, and whose latency is watched, never park.
NEVER_PARKED = frozenset({"/", "/health", "/health/ready", "/metrics"})
STARTING_SHARE = 2 / 3  # of the resumed slice that first goes to starting steps
_LOWEST = -2  # libev's lowest priority: the resume runs after the turn's I/O callbacks


class _Turns:
    """The parked greenlets of one gevent hub, and the watchers that resume them."""

    def __init__(self, hub):
        self.hub, self.loop = hub, hub.loop
        self.starting: deque = deque()
        self.flowing: deque = deque()
        self.iteration = -1
        self.turn_started = 0.0
        self.until = SLICE  # seconds into the turn at which steps park (less while a share runs)
        self.after_io = self.loop.check(priority=_LOWEST)
        self.no_sleep = self.loop.idle()  # an active idle watcher makes the loop poll without waiting
        self.watching = False

    def busy(self) -> bool:
        """Whether this turn has run a slice: it began at the first step taken since the loop polled.

        (``loop.now()`` will not do: starting a timer, as every socket wait does, updates it.)
        """
        now, iteration = time.perf_counter(), self.loop.iteration
        if iteration != self.iteration:
            self.iteration, self.turn_started, self.until = iteration, now, SLICE
            return False
        return now - self.turn_started > self.until

    def park(self, starting: bool = False) -> None:
        from gevent import getcurrent
        from gevent.hub import Waiter

        if getcurrent() is self.hub:  # the hub itself cannot wait
            return
        waiter = Waiter(self.hub)
        (self.starting if starting else self.flowing).append(waiter)
        if not self.watching:
            self.watching = True
            self.after_io.start(self._resume)
            self.no_sleep.start(_nothing)
        waiter.get()

    @property
    def parked(self) -> int:
        return len(self.starting) + len(self.flowing)

    def _resume(self) -> None:
        """Wake the parked, oldest first, for one slice; the rest wait for the next turn."""
        self.iteration, self.turn_started = self.loop.iteration, time.perf_counter()
        self._wake(self.starting, SLICE * STARTING_SHARE)
        self._wake(self.flowing, SLICE, at_least_one=True)  # however long the starting steps took
        self._wake(self.starting, SLICE)  # what the flowing streams left of the slice
        if not self.parked:
            self.watching = False
            self.after_io.stop()
            self.no_sleep.stop()

    def _wake(self, queue: deque, until: float, at_least_one: bool = False) -> None:
        """Resume from ``queue`` until ``until`` seconds of the turn have passed (those parked
        meanwhile wait for the next turn); the resumed park again at that point too."""
        self.until = until
        for index in range(len(queue)):
            if time.perf_counter() - self.turn_started > until and not (at_least_one and index == 0):
                return
            queue.popleft().switch(None)


def _nothing() -> None:
    pass


_turns: _Turns | bool | None = None  # found on first use: a _Turns under gevent, False otherwise


def _find_turns() -> _Turns | bool:
    global _turns
    try:
        from gevent import monkey
    except ImportError:
        _turns = False
    else:
        if monkey.is_module_patched("socket"):
            from gevent import get_hub

            _turns = _Turns(get_hub())
        else:
            _turns = False
    return _turns


def take_turn(starting: bool = False) -> None:
    """Before an expensive step: park when this turn of the loop is used up.

    ``starting``: the step starts something (a request, a Bedrock call, a stream's batches
    until its first text), and goes ahead of the batches of streams already flowing.
    """
    turns = _turns if _turns is not None else _find_turns()
    if turns and turns.busy():
        turns.park(starting)


def taking_turns(wsgi_app: Callable, slice_ms: float) -> Callable:
    """The WSGI app with a turn taken before each request except the cheap, watched ones.

    ``slice_ms`` is the worker's slice (one per process: the last app made sets it); 0: none.
    """
    global SLICE, _turns
    SLICE = slice_ms / 1000
    if not slice_ms:
        _turns = False
        return wsgi_app
    if _turns is False:
        _turns = None  # found again on first use

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in NEVER_PARKED:
            take_turn(starting=True)
        return wsgi_app(environ, start_response)

    return app
