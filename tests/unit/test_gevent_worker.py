"""The gateway's gunicorn worker writes each chunk with one send, and a large write whole."""

import os
import socket

import gevent
import gevent.socket

from app.gevent_worker import ClientSocket


class CountingSocket(ClientSocket):
    __slots__ = ()
    calls: list[str] = []

    def send(self, data, flags=0, timeout=None):
        CountingSocket.calls.append("send")
        return super().send(data, flags)

    def getsockopt(self, *args):
        CountingSocket.calls.append("getsockopt")
        return super().getsockopt(*args)


def read_exactly(sock, size: int) -> bytes:
    parts, have = [], 0
    while have < size:
        gevent.sleep(0.001)  # a slow reader: the writer's kernel buffer fills up
        part = sock.recv(65536)
        assert part
        parts.append(part)
        have += len(part)
    return b"".join(parts)


def test_a_small_write_is_one_send_without_asking_for_the_buffer_size():
    writer, reader = gevent.socket.socketpair()
    writer.__class__ = CountingSocket
    CountingSocket.calls = []
    writer.sendall(b"event: ping\n\n")
    assert reader.recv(100) == b"event: ping\n\n"
    assert CountingSocket.calls == ["send"]
    writer.close()
    reader.close()


def test_a_write_bigger_than_the_kernel_takes_at_once_arrives_whole_and_in_order():
    writer, reader = gevent.socket.socketpair()
    writer.__class__ = ClientSocket
    writer.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    data = os.urandom(3 * 1024 * 1024)
    received = gevent.spawn(read_exactly, reader, len(data))
    writer.sendall(data)
    assert received.get(timeout=20) == data
    writer.close()
    reader.close()


def test_a_write_to_a_closed_peer_raises_instead_of_hanging():
    writer, reader = gevent.socket.socketpair()
    writer.__class__ = ClientSocket
    reader.close()
    try:
        with gevent.Timeout(5):
            for _ in range(100):
                writer.sendall(b"x" * 65536)
    except (BrokenPipeError, ConnectionResetError):
        pass
    else:
        raise AssertionError("writes to a closed peer kept succeeding")
    finally:
        writer.close()


class FakeListener:
    pass


def test_the_worker_gives_plain_client_sockets_the_one_send_write_and_leaves_tls_sockets_alone(monkeypatch):
    from gevent import ssl
    from gunicorn.workers.ggevent import GeventWorker

    from app.gevent_worker import GatewayWorker

    handled = []
    monkeypatch.setattr(
        GeventWorker, "handle", lambda self, listener, client, addr: handled.append(type(client))
    )
    worker = GatewayWorker.__new__(GatewayWorker)
    plain, other = gevent.socket.socketpair()
    worker.handle(FakeListener(), plain, ("127.0.0.1", 1))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls = context.wrap_socket(
        gevent.socket.socket(), server_hostname="gateway.test", do_handshake_on_connect=False
    )
    worker.handle(FakeListener(), tls, ("127.0.0.1", 2))
    assert handled == [ClientSocket, ssl.SSLSocket]
    for sock in (plain, other, tls):
        sock.close()
