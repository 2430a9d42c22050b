"""Graceful drain: what a worker does between SIGTERM and its exit.

gunicorn's SIGTERM (a shutdown, or the old workers of a HUP reload) closes the worker's
listener and waits up to ``graceful_timeout`` for open requests. The gateway adds three
things: ``GET /health/ready`` answers 503 at once (on connections still open), a
``drain`` log line, and a deadline just before gunicorn's, at which every stream still
open ends with a ``server_shutting_down`` error event instead of being cut mid-line.

Signals are per process, so this state is the worker's own; ``attach_to_worker`` is
called from gunicorn's ``post_worker_init`` hook.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable

from app.pacing import in_background

log = logging.getLogger(__name__)

# Streams end this long before gunicorn's graceful timeout, so their last bytes get out.
DEADLINE_MARGIN = 2.0


class Drain:
    """This process's drain state; streams register a waker to hear when it starts."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.deadline: float | None = None  # time.monotonic() at which open streams end
        self.booted = time.monotonic()
        self._wakers: set[Callable[[], None]] = set()

    @property
    def draining(self) -> bool:
        return self.started is not None

    def begin(self, graceful_timeout: float) -> None:
        """Start draining: readiness fails now; open streams end at the deadline."""
        if self.started is not None:
            return
        self.started = time.monotonic()
        margin = min(DEADLINE_MARGIN, graceful_timeout / 2)
        self.deadline = self.started + max(graceful_timeout - margin, 0.0)
        log.info("drain", extra={"event": "drain", "pid": os.getpid(), "graceful_timeout": graceful_timeout})
        for wake in list(self._wakers):
            wake()

    def watch(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Call ``wake`` when draining starts; returns the function that stops watching."""
        self._wakers.add(wake)
        return lambda: self._wakers.discard(wake)

    def stopped(self) -> None:
        log.info("stop", extra={"event": "stop", "pid": os.getpid(), "uptime_s": self.uptime()})

    def uptime(self) -> float:
        return round(time.monotonic() - self.booted, 1)


DRAIN = Drain()


def attach_to_worker(worker) -> None:
    """Wrap the gunicorn worker's SIGTERM handler so draining starts with it."""
    previous = signal.getsignal(signal.SIGTERM)
    grace = float(worker.cfg.graceful_timeout)

    def on_sigterm(signum, frame) -> None:
        previous(signum, frame)
        # Out of the signal handler (under gevent, the event loop): logging and waking take locks.
        in_background(DRAIN.begin, grace)

    signal.signal(signal.SIGTERM, on_sigterm)
