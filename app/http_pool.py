"""A minimal pooled HTTP/1.1 client for one origin: one write per request, bytes-level parsing.

It does only what a JSON API call needs: POST with a body, a status line and headers
back, then a body framed by Content-Length, chunked encoding or the connection's end.
Chunked bodies are handed out as they arrive, the chunks of one read together (event streams). Idle
connections are kept, newest first, up to ``maxsize``; a kept connection the server has
meanwhile closed is replaced once, transparently, before any response byte is read.
Under gevent the sockets are cooperative, so one pool serves a whole worker. New
connections share the origin's address lookup (``app.addresses``).
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

from app.addresses import Addresses, connect

RECV = 65536
MAX_RECV = 4 * 1024 * 1024
MAX_HEAD = 64 * 1024


class ConnectError(OSError):
    """The origin could not be reached."""


class ConnectTimeout(ConnectError):
    """The connection was not established in time."""


class ReadTimeout(OSError):
    """The origin went quiet for longer than the read timeout."""


class Disconnected(OSError):
    """The origin closed the connection before the response was complete."""


class _Silence(Exception):
    """Thrown into a read of a ticking response when a tick or the read timeout is due."""


_EARLY = 0.005  # a libev timer may fire this much before the monotonic clock shows it due


class Connection:
    """One socket and the bytes read past the last response."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.pending = bytearray()
        self.reused = False

    def recv(self) -> bytes:
        try:
            data = self.sock.recv(RECV)
        except TimeoutError as exc:
            raise ReadTimeout("read timed out") from exc
        if not data:
            raise Disconnected("connection closed by the server")
        return data

    def close(self) -> None:
        self.sock.close()


class Response:
    """A response whose head has been read; read its body with ``read()`` or ``chunks()``."""

    def __init__(self, pool: Pool, conn: Connection, status: int, headers: dict[str, str]):
        self.pool, self.conn, self.status, self.headers = pool, conn, status, headers
        self.keep = headers.get("connection", "").lower() != "close"
        self.tick: float | None = None  # with it, a silent chunked body yields b"" this often
        self._watchdog = None  # the timer that ends a ticking read's wait when a tick is due
        self._heard = 0.0  # when the origin last sent bytes (monotonic)
        self._ticked = 0.0  # when the last tick was due, or bytes came

    def tick_every(self, seconds: float) -> bool:
        """Have ``chunks()`` yield b"" whenever the origin stays silent ``seconds`` (gevent only).

        The socket then waits without a timeout of its own: a per-wait timeout costs a timer
        made, started and closed on nearly every read of a stream. One watchdog timer per
        response ends a wait instead, when a tick or the read timeout (which holds for the
        whole silence) is due; it is re-armed only then, or here, so a new tick applies to a
        read already waiting. Threads cannot have a wait ended, so they do not tick.
        """
        conn = self.conn
        if conn is None or not hasattr(conn.sock, "_read_event"):
            return False
        if self.tick is None:
            self._heard = self._ticked = time.monotonic()
            conn.sock.settimeout(None)
        self.tick = seconds
        self._arm()
        return True

    def _due(self) -> float:
        return min(self._ticked + self.tick, self._heard + self.pool.read_timeout)

    def _arm(self) -> None:
        if self._watchdog is not None:
            self._watchdog.close()
        self._watchdog = self.conn.sock.hub.loop.timer(max(self._due() - time.monotonic(), 0.0), ref=False)
        self._watchdog.start(self._watch)

    def _watch(self) -> None:
        """A tick or the read timeout is due: end the read waiting (if one is), then re-arm."""
        conn = self.conn
        if conn is None:
            return
        now = time.monotonic()
        if now >= self._due() - _EARLY:
            self._ticked = now
            event = conn.sock._read_event
            waiter = getattr(event.callback, "__self__", None) if event.active else None
            if waiter is not None:
                waiter.throw(_Silence())  # as a timeout's timer does; the read handles it at once
        if self.conn is conn:  # that read may have ended the response
            self._arm()

    def _stop_watching(self) -> None:
        if self._watchdog is not None:
            self._watchdog.close()
            self._watchdog = None

    def _timed_out(self) -> bool:
        return time.monotonic() - self._heard >= self.pool.read_timeout - _EARLY

    def _recv(self) -> bytes:
        """The next bytes, or b"" for an idle tick."""
        if self.tick is None:
            return self.conn.recv()
        try:
            data = self.conn.recv()
        except _Silence:
            if self._timed_out():
                raise ReadTimeout("read timed out") from None
            return b""
        self._heard = self._ticked = time.monotonic()
        return data

    def read(self) -> bytes:
        """The whole body; the connection goes back to the pool."""
        length = self.headers.get("content-length")
        if length is None:
            return b"".join(self.chunks())
        conn, size = self.conn, int(length)
        buffer = conn.pending
        while len(buffer) < size:
            try:
                data = conn.sock.recv(min(max(RECV, size - len(buffer)), MAX_RECV))
            except _Silence:  # ticking: only the read timeout ends a whole body's read
                if not self._timed_out():
                    continue
                self.close()
                raise ReadTimeout("read timed out") from None
            except TimeoutError as exc:
                self.close()
                raise ReadTimeout("read timed out") from exc
            if not data:
                self.close()
                raise Disconnected("connection closed inside the response body")
            if self.tick is not None:  # the read timeout counts silence, not the whole body's time
                self._heard = self._ticked = time.monotonic()
            buffer += data
        body = bytes(buffer[:size])
        del buffer[:size]
        self._release()
        return body

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives; the connection goes back to the pool once it is all read."""
        try:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                yield from self._chunked()
            elif "content-length" in self.headers:
                yield self.read()
                return
            else:
                yield from self._until_close()
        except BaseException:
            self.close()
            raise
        self._release()

    def _chunked(self) -> Iterator[bytes]:
        """Each read's complete chunks, joined: what arrived together is handed out together.

        Parsed by offsets into the bytes read, so a chunk's payload is copied once; the reads
        of a chunk not yet whole are joined once it is.
        """
        conn = self.conn
        data, at = bytes(conn.pending), 0
        while True:
            ready, need = [], 0  # need: bytes past ``at`` that make the next chunk whole
            while (line_end := data.find(b"\r\n", at)) >= 0:
                size = int(data[at:line_end].split(b";", 1)[0], 16)
                if size == 0:
                    if ready:
                        yield b"".join(ready)
                    self._trailers(data[line_end + 2 :])
                    return
                end = line_end + 2 + size
                if len(data) < end + 2:
                    need = end + 2 - at
                    break
                ready.append(data[line_end + 2 : end])
                at = end + 2
            # A chunk is not whole yet: what is ready goes out before the socket is read.
            if ready:
                yield b"".join(ready)
            parts, have = [data[at:]], len(data) - at
            need = need or have + 1  # its size line is not whole: any more bytes may finish it
            while have < need:
                read = self._recv()
                if not read:
                    yield read  # an idle tick
                parts.append(read)
                have += len(read)
            data, at = b"".join(parts), 0

    def _trailers(self, rest: bytes) -> None:
        """Read past the optional trailers; what follows them stays for the next response."""
        while not rest.startswith(b"\r\n") and b"\r\n\r\n" not in rest:
            rest += self._recv()
        conn = self.conn
        conn.pending[:] = rest[2 if rest.startswith(b"\r\n") else rest.find(b"\r\n\r\n") + 4 :]

    def _until_close(self) -> Iterator[bytes]:
        self.keep = False
        if self.conn.pending:
            yield bytes(self.conn.pending)
        while True:
            try:
                yield self.conn.recv()
            except Disconnected:
                return

    def _release(self) -> None:
        self._stop_watching()
        conn, self.conn = self.conn, None
        if conn is not None:
            if self.tick is not None:
                conn.sock.settimeout(self.pool.read_timeout)
            if self.keep:
                self.pool.put(conn)
            else:
                conn.close()

    def close(self) -> None:
        """Drop the connection: the rest of the body is not wanted."""
        self._stop_watching()
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


class Pool:
    """Keep-alive connections to one ``scheme://host:port`` origin."""

    def __init__(
        self,
        origin: str,
        maxsize: int,
        connect_timeout: float,
        read_timeout: float,
        tls: ssl.SSLContext | None = None,
    ):
        parts = urlsplit(origin)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        default = (self.https and self.port == 443) or (not self.https and self.port == 80)
        self.host_header = parts.netloc.rsplit("@", 1)[-1] if not default else self.host
        self.maxsize = maxsize
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.tls = tls or (ssl.create_default_context() if self.https else None)
        self.addresses = Addresses(self.host, self.port)
        self.idle: list[Connection] = []
        self.opened = 0

    def post(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        """Send one request and read the response's head."""
        head = [f"POST {path} HTTP/1.1\r\nHost: {self.host_header}\r\nContent-Length: {len(body)}\r\n"]
        head.extend(f"{name}: {value}\r\n" for name, value in headers.items())
        head.append("\r\n")
        data = "".join(head).encode("latin-1") + body
        while True:
            conn = self.get()
            try:
                conn.sock.sendall(data)
                return self._head(conn)
            except (Disconnected, ConnectionResetError, BrokenPipeError) as exc:
                conn.close()
                if not conn.reused or conn.pending:  # a fresh connection failing is a real failure
                    raise Disconnected(str(exc)) from exc
            except BaseException:
                conn.close()
                raise

    def _head(self, conn: Connection) -> Response:
        buffer = conn.pending
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            if len(buffer) > MAX_HEAD:
                raise Disconnected("response head too large")
            buffer += conn.recv()
        lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        del buffer[: end + 4]
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 100:
            return self._head(conn)
        return Response(self, conn, status, headers)

    def get(self) -> Connection:
        if self.idle:
            conn = self.idle.pop()
            conn.reused = True
            return conn
        return self.connect()

    def put(self, conn: Connection) -> None:
        if len(self.idle) < self.maxsize and not conn.pending:
            self.idle.append(conn)
        else:
            conn.close()

    def connect(self) -> Connection:
        try:
            sock = connect(self.addresses, self.connect_timeout)
        except TimeoutError as exc:
            raise ConnectTimeout(f"connecting to {self.host}:{self.port} timed out") from exc
        except OSError as exc:
            raise ConnectError(f"could not connect to {self.host}:{self.port}: {exc}") from exc
        self.opened += 1
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
            except TimeoutError as exc:
                sock.close()
                raise ConnectTimeout(f"TLS handshake with {self.host} timed out") from exc
            except OSError as exc:
                sock.close()
                raise ConnectError(f"TLS handshake with {self.host} failed: {exc}") from exc
        sock.settimeout(self.read_timeout)
        return Connection(sock)

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()

    __del__ = close  # a discarded pool (a test's app) leaves no socket open
