"""The pooled HTTP/1.1 client against a raw socket server: keep-alive, framing, stale connections."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from app import http_pool

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"


class Server:
    """Answers each request on a connection with the next scripted response; counts connections."""

    def __init__(self, answers: list[bytes], close_after: int | None = None, trickle: int = 0):
        self.answers, self.close_after, self.trickle = answers, close_after, trickle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            conn, _ = self.listener.accept()
            self.connections += 1
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        served, buffer = 0, b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                self.send(conn, self.answers[served % len(self.answers)])
                served += 1
                if self.close_after and served >= self.close_after:
                    return

    def send(self, conn: socket.socket, answer: bytes) -> None:
        """The answer at once, or ``trickle`` bytes at a time, so reads end anywhere."""
        if not self.trickle:
            conn.sendall(answer)
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for at in range(0, len(answer), self.trickle):
            conn.sendall(answer[at : at + self.trickle])
            time.sleep(0.001)


def pool_for(server: Server, maxsize: int = 4) -> http_pool.Pool:
    return http_pool.Pool(f"http://127.0.0.1:{server.port}", maxsize, 1.0, 1.0)


def test_sequential_requests_share_one_keep_alive_connection():
    server = Server([OK])
    pool = pool_for(server)
    bodies = [pool.post("/x", {}, b"{}").read() for _ in range(5)]
    assert (bodies, server.connections, pool.opened) == ([b"ok"] * 5, 1, 1)


def test_a_chunked_body_is_unframed_and_the_connection_is_kept():
    server = Server([CHUNKED, OK])
    pool = pool_for(server)
    assert b"".join(pool.post("/x", {}, b"").chunks()) == b"abcde"
    assert pool.post("/x", {}, b"").read() == b"ok"
    assert server.connections == 1


@pytest.mark.parametrize("trickle", [1, 3, 7])
def test_a_chunked_body_read_in_any_pieces_is_unframed_with_trailers_and_the_next_response_intact(trickle):
    payloads = [b"x" * 17, b"{}", b"y" * 300, b"z"]
    framed = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in payloads)
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + framed + b"0\r\nX-T: 1\r\n\r\n"
    server = Server([answer, OK], trickle=trickle)
    pool = pool_for(server)
    pieces = list(pool.post("/x", {}, b"").chunks())
    assert b"".join(pieces) == b"".join(payloads)
    assert all(pieces)
    assert pool.post("/x", {}, b"").read() == b"ok"
    assert server.connections == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_transparently():
    server = Server([OK], close_after=1)
    pool = pool_for(server)
    assert [pool.post("/x", {}, b"").read() for _ in range(3)] == [b"ok"] * 3
    assert server.connections == 3


def test_headers_are_lower_cased_and_the_status_parsed():
    throttled = b"HTTP/1.1 429 Too Many Requests\r\nX-Amzn-ErrorType: ThrottlingException:x\r\n"
    server = Server([throttled + b"Content-Length: 0\r\n\r\n"])
    response = pool_for(server).post("/x", {}, b"")
    assert (response.status, response.headers["x-amzn-errortype"], response.read()) == (
        429,
        "ThrottlingException:x",
        b"",
    )


def test_idle_connections_beyond_the_pool_size_are_closed():
    server = Server([OK])
    pool = pool_for(server, maxsize=1)
    first, second = pool.post("/x", {}, b""), pool.post("/x", {}, b"")
    first.read(), second.read()
    assert (pool.opened, len(pool.idle)) == (2, 1)


def test_a_silent_server_is_a_read_timeout():
    listener = socket.create_server(("127.0.0.1", 0))
    pool = http_pool.Pool(f"http://127.0.0.1:{listener.getsockname()[1]}", 1, 1.0, 0.2)
    with pytest.raises(http_pool.ReadTimeout):
        pool.post("/x", {}, b"")
    listener.close()


def test_a_refused_connection_is_a_connect_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(http_pool.ConnectError):
        http_pool.Pool(f"http://127.0.0.1:{port}", 1, 1.0, 1.0).post("/x", {}, b"")
