"""One origin's addresses, looked up once and kept a short while, and a connect over them.

Under gevent every ``getaddrinfo`` is a round trip through a thread pool, even for an IP
literal, so a burst of new connections would make one lookup each. Here an IP literal is
never looked up, and a name is looked up once per ``ttl`` (its addresses may move), by
one caller: those arriving meanwhile wait for that lookup and share its outcome.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

AddrInfo = tuple  # getaddrinfo's (family, type, proto, canonname, sockaddr)
TTL = 30.0


class Addresses:
    """The ``(host, port)`` origin's ``getaddrinfo`` entries for TCP."""

    def __init__(self, host: str, port: int, ttl: float = TTL):
        self.host, self.port, self.ttl = host, port, ttl
        self._entries: list[AddrInfo] = _literal(host, port)
        self._expires = float("inf") if self._entries else 0.0
        self._lock = threading.Lock()  # a gevent lock once the worker is patched
        self._outcome: tuple[float, list[AddrInfo] | OSError] = (0.0, [])  # last lookup: (done at, result)
        self.lookups = 0

    def get(self) -> list[AddrInfo]:
        """The entries, fresh enough; raises the lookup's ``OSError`` (``socket.gaierror``)."""
        if time.monotonic() < self._expires:
            return self._entries
        asked = time.monotonic()
        with self._lock:
            done_at, result = self._outcome
            if done_at < asked:  # no lookup finished while this caller waited: make one
                result = self._lookup()
            if isinstance(result, OSError):
                raise result
            return result

    def forget(self) -> None:
        """Look the name up again next time (the kept addresses all refused a connection)."""
        if self._expires != float("inf"):
            self._expires = 0.0

    def _lookup(self) -> list[AddrInfo] | OSError:
        self.lookups += 1
        try:
            result = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)
            if not result:
                result = OSError(f"no address found for {self.host}")
        except OSError as exc:
            result = exc
        now = time.monotonic()
        self._outcome = (now, result)
        if not isinstance(result, OSError):
            self._entries, self._expires = result, now + self.ttl
        return result


def _literal(host: str, port: int) -> list[AddrInfo]:
    """The one entry of an IP literal (no lookup needed), or [] for a name."""
    if "%" in host:  # an IPv6 scope id: getaddrinfo knows the interface's index
        return []
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return []
    if ip.version == 4:
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]
    return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))]


def connect(addresses: Addresses, timeout: float) -> socket.socket:
    """A socket connected to the first address that answers, as ``socket.create_connection``."""
    entries = addresses.get()
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in entries:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    addresses.forget()
    raise error
